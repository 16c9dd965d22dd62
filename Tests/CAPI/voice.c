/*
 * voice.c — proximity voice signalling through the C ABI (libKartKlashClient.so): the account
 * connects to the voice service, gets TURN credentials, is told to connect to a kart next to it
 * (the test feeds its position), hears it at a gain, receives that peer's offer, and is refused
 * when it signals a player out of range.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/CKartKlashClient/include Tests/CAPI/voice.c \
 *      -L .build/debug -lKartKlashClient -Wl,-rpath,.build/debug -o /tmp/kk-capi-voice
 *   /tmp/kk-capi-voice http://127.0.0.1:7090 /path/to/session.json ws://127.0.0.1:7090/v1/voice NEAR_ID FAR_ID
 *
 * Prints one line per step and "ALL OK" at the end; exit 0 when every step did what it should.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kartklash_client.h"

static int failures = 0;
#define CHECK(cond, what) do { if (cond) printf("ok %s\n", what); else { printf("FAIL %s (%s)\n", what, kk_last_error()); failures++; } } while (0)

struct seen {
    int64_t near;
    int welcome, connected, initiator, offer, refused;
    double gain;
    char turn[1024];
};

static void on_welcome(void *u, int64_t player, const char *turn) {
    struct seen *s = u; (void)player;
    s->welcome = 1;
    snprintf(s->turn, sizeof s->turn, "%s", turn);
}
static void on_connect(void *u, int64_t peer, int initiator) {
    struct seen *s = u;
    if (peer == s->near) { s->connected = 1; s->initiator = initiator; }
}
static void on_audible(void *u, const int64_t *speakers, const double *gains, size_t n) {
    struct seen *s = u;
    for (size_t i = 0; i < n; i++) if (speakers[i] == s->near) s->gain = gains[i];
}
static void on_offer(void *u, int64_t from, const char *sdp) {
    struct seen *s = u;
    if (from == s->near && strstr(sdp, "v=0")) s->offer = 1;
}
static void on_error(void *u, const char *code, const char *text) {
    struct seen *s = u; (void)text;
    if (strcmp(code, "not_in_range") == 0) s->refused = 1;
}

int main(int argc, char **argv) {
    if (argc < 6) { fprintf(stderr, "usage: %s services_url session_path voice_url near_id far_id\n", argv[0]); return 2; }
    struct seen s = { .near = strtoll(argv[4], NULL, 10) };
    int64_t far = strtoll(argv[5], NULL, 10);
    kk_voice_callbacks cb = { .on_welcome = on_welcome, .on_connect = on_connect, .on_audible = on_audible,
                              .on_offer = on_offer, .on_error = on_error };
    kk_account *a = kk_account_create(argv[1], argv[2]);
    CHECK(a != NULL && kk_account_login(a) == 0, "logged in with the stored session");
    CHECK(kk_voice_connect(a, "http://not-a-socket") == NULL, "a non-ws URL is refused");
    kk_voice *v = kk_voice_connect(a, argv[3]);
    CHECK(v != NULL, "voice socket");
    CHECK(kk_voice_poll(NULL, &cb, &s, 0) == -1, "NULL handle");
    int sent = 0;
    for (int i = 0; i < 300 && !(s.welcome && s.connected && s.gain > 0 && s.offer && s.refused); i++) {
        kk_voice_poll(v, &cb, &s, 100);
        if (s.welcome && !sent) { kk_voice_send_offer(v, far, "v=0 to someone far away"); sent = 1; }
    }
    CHECK(s.welcome && strstr(s.turn, "\"username\"") && strstr(s.turn, "turn:"), "welcome with TURN credentials");
    CHECK(s.connected && s.initiator == 0, "told to connect to the kart next to it (it initiates)");
    CHECK(s.gain > 0 && s.gain <= 1, "hears it at a gain");
    CHECK(s.offer, "its offer arrives");
    CHECK(s.refused, "signalling a player out of range is refused");
    kk_voice_destroy(v);
    kk_account_destroy(a);
    if (failures == 0) printf("ALL OK\n");
    return failures == 0 ? 0 : 1;
}
