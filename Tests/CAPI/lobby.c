/*
 * lobby.c — two players meet in a lobby room and race, through the C ABI only
 * (libKartKlashClient.so): accounts, the lobby socket, the race's ticket, the client.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/CKartKlashClient/include Tests/CAPI/lobby.c \
 *      -L .build/debug -lKartKlashClient -Wl,-rpath,.build/debug -o /tmp/kk-capi-lobby
 *   /tmp/kk-capi-lobby http://127.0.0.1:PORT ws://127.0.0.1:PORT/v1/lobby PREFS_DIR
 *
 * Prints "ALL OK" and exits 0 when both raced; 1 otherwise.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kartklash_client.h"

static char buf[65536];

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Polls until an event containing `needle` arrives (10 s); it is left in buf. */
static int wait_for(kk_lobby *l, const char *who, const char *needle) {
    double start = now_seconds();
    while (now_seconds() - start < 10) {
        size_t n = kk_lobby_poll(l, 200, buf, sizeof buf);
        if (n == 0) continue;
        if (n >= sizeof buf) { printf("%s: event too long\n", who); return 0; }
        if (strstr(buf, needle)) return 1;
        if (strstr(buf, "\"type\":\"closed\"")) { printf("%s: closed: %s\n", who, buf); return 0; }
    }
    printf("%s: no event with %s\n", who, needle);
    return 0;
}

#define CHECK(cond, ...) do { if (!(cond)) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); return 1; } } while (0)

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s services_url lobby_url prefs_dir\n", argv[0]); return 2; }
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/a/session.json", argv[3]);
    snprintf(pb, sizeof pb, "%s/b/session.json", argv[3]);
    kk_account *a = kk_account_create(argv[1], pa), *b = kk_account_create(argv[1], pb);
    CHECK(a && b, "account create: %s", kk_last_error());
    CHECK(kk_account_login(a) == 0 && kk_account_login(b) == 0, "login: %s", kk_last_error());
    CHECK(kk_lobby_connect(a, "http://not-a-ws-url") == NULL && kk_last_error()[0] != 0, "a bad URL was accepted");
    kk_lobby *la = kk_lobby_connect(a, argv[2]), *lb = kk_lobby_connect(b, argv[2]);
    CHECK(la && lb, "lobby connect: %s", kk_last_error());
    CHECK(wait_for(la, "a", "\"type\":\"hello\"") && wait_for(lb, "b", "\"type\":\"hello\""), "no hello");
    CHECK(kk_lobby_send_json(la, "not json") == -1, "bad JSON was sent");
    CHECK(kk_lobby_match_ticket("{}", buf, sizeof buf) == 0, "a non-match event gave a ticket");

    /* a creates a private room; b joins by its code. */
    CHECK(kk_lobby_create(la, 0) == 0, "create");
    CHECK(wait_for(la, "a", "\"type\":\"room\""), "no room");
    char *c = strstr(buf, "\"code\":\"");
    CHECK(c != NULL, "room without a code: %s", buf);
    char code[16] = {0};
    memcpy(code, c + 8, 6);
    printf("room code %s\n", code);
    CHECK(kk_lobby_join(lb, "WRONG1") == 0 && wait_for(lb, "b", "unknown_code"), "a wrong code was not refused");
    CHECK(kk_lobby_join(lb, code) == 0, "join");
    CHECK(wait_for(la, "a", "\"kind\":\"joined\""), "a did not see b join");
    CHECK(kk_lobby_vote(la, "moon") == 0 && wait_for(la, "a", "unknown_track"), "an unknown track was accepted");
    CHECK(kk_lobby_vote(la, "sprint") == 0 && kk_lobby_chat(lb, "ready when you are") == 0, "vote/chat");
    CHECK(wait_for(la, "a", "ready when you are"), "no chat");
    CHECK(kk_lobby_ready(la, 1) == 0 && kk_lobby_ready(lb, 1) == 0, "ready");

    /* The race: each takes its ticket from the match event and plays. */
    kk_client *clients[2] = {0};
    kk_lobby *lobbies[2] = {la, lb};
    for (int i = 0; i < 2; i++) {
        CHECK(wait_for(lobbies[i], i ? "b" : "a", "\"type\":\"match\""), "no match event");
        static char ticket[16384];
        size_t n = kk_lobby_match_ticket(buf, ticket, sizeof ticket);
        CHECK(n > 0 && n < sizeof ticket, "ticket: %s", kk_last_error());
        kk_client_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.struct_size = sizeof cfg;
        cfg.send_hz = 30;
        clients[i] = kk_client_create(ticket, n, &cfg);
        CHECK(clients[i] != NULL, "client create: %s", kk_last_error());
    }
    double start = now_seconds();
    int playing = 0;
    while (now_seconds() - start < 20 && !playing) {
        playing = 1;
        for (int i = 0; i < 2; i++) {
            uint32_t buttons = 0;
            int32_t steer = 0;
            if (kk_client_bot_input(clients[i], &buttons, &steer) == 0) kk_client_set_input(clients[i], buttons, steer);
            int s = kk_client_poll(clients[i]);
            kk_client_stats_t st;
            memset(&st, 0, sizeof st);
            st.struct_size = sizeof st;
            kk_client_stats(clients[i], &st);
            if (s != KK_STATE_PLAYING || st.frames_received < 30) playing = 0;
        }
        struct timespec pause = {0, 4 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    CHECK(playing, "the two clients did not both play");
    for (int i = 0; i < 2; i++) kk_client_destroy(clients[i]);
    kk_lobby_destroy(la);
    kk_lobby_destroy(lb);
    kk_lobby_destroy(NULL);
    kk_account_destroy(a);
    kk_account_destroy(b);
    printf("ALL OK\n");
    return 0;
}
