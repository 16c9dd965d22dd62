#include <string.h>
#include "kartklash_client.h"

/* The thread-local text behind kk_last_error(); written by the Swift side. */
static _Thread_local char kk_error_text[512];

void kk__set_last_error(const char *text) {
    if (!text) { kk_error_text[0] = 0; return; }
    strncpy(kk_error_text, text, sizeof kk_error_text - 1);
    kk_error_text[sizeof kk_error_text - 1] = 0;
}

const char *kk_last_error(void) { return kk_error_text; }
