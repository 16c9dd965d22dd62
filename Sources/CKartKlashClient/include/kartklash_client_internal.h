/* Internal to libKartKlashClient (not part of the public ABI). */
#ifndef KARTKLASH_CLIENT_INTERNAL_H
#define KARTKLASH_CLIENT_INTERNAL_H
#include "kartklash_client.h"
void kk__set_last_error(const char *text);
#endif
