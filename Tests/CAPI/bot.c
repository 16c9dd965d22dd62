/*
 * bot.c — drives one kart through the KartKlash client C ABI (libKartKlashClient.so).
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/CKartKlashClient/include Tests/CAPI/bot.c \
 *      -L .build/debug -lKartKlashClient -Wl,-rpath,.build/debug -o /tmp/kk-capi-bot
 *   /tmp/kk-capi-bot token.json [frames-to-receive] [timeout-seconds]
 *
 * Reads a connect token file, creates a client, and every ~4 ms: asks the built-in autopilot
 * for an input, sets it, polls, and draws nothing (reads every kart's position as a renderer
 * would). Prints state changes and, at the end, the stats. Exit 0 once it has been playing and
 * received the wanted frames; 1 on timeout or if the session ended first; 2 on a create error.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "kartklash_client.h"

static const char *state_name(int s) {
    switch (s) {
    case KK_STATE_IDLE: return "idle";
    case KK_STATE_CONNECTING: return "connecting";
    case KK_STATE_HANDSHAKING: return "handshaking";
    case KK_STATE_JOINING: return "joining";
    case KK_STATE_PLAYING: return "playing";
    case KK_STATE_RESUMING: return "resuming";
    case KK_STATE_ENDED: return "ended";
    default: return "?";
    }
}

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: %s token.json [frames] [timeout-seconds]\n", argv[0]); return 2; }
    unsigned long want = argc > 2 ? strtoul(argv[2], NULL, 10) : 120;
    double timeout = argc > 3 ? atof(argv[3]) : 20;
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 2; }
    char json[8192];
    size_t n = fread(json, 1, sizeof json, f);
    fclose(f);

    kk_client_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.send_hz = 30;
    kk_client *c = kk_client_create(json, n, &cfg);
    if (!c) { printf("create failed: %s\n", kk_last_error()); return 2; }

    /* A bad token is refused with a reason. */
    if (kk_client_create("{}", 2, NULL) != NULL || kk_last_error()[0] == 0) { printf("bad token was accepted\n"); return 1; }
    printf("bad token refused: %s\n", kk_last_error());

    int last = -1, was_playing = 0, rc = 1;
    double start = now_seconds();
    struct timespec frame = {0, 4 * 1000 * 1000};
    kk_client_stats_t st;
    while (now_seconds() - start < timeout) {
        uint32_t buttons = 0;
        int32_t steer = 0;
        if (kk_client_bot_input(c, &buttons, &steer) == 0) kk_client_set_input(c, buttons, steer);
        int s = kk_client_poll(c);
        if (s != last) {
            char text[128];
            kk_client_status_text(c, text, sizeof text);
            printf("state %s: %s\n", state_name(s), text);
            fflush(stdout);
            last = s;
        }
        if (s == KK_STATE_PLAYING) was_playing = 1;
        if (s == KK_STATE_ENDED) { printf("ended, reason %d\n", kk_client_end_reason(c)); break; }
        for (int k = 0; k < kk_client_kart_count(c); k++) {
            float x, y, h;
            if (kk_client_kart(c, k, &x, &y, &h) != 0) { printf("kart %d missing\n", k); return 1; }
        }
        memset(&st, 0, sizeof st);
        st.struct_size = sizeof st;
        if (kk_client_stats(c, &st) != 0) { printf("stats failed\n"); return 1; }
        if (was_playing && st.frames_received >= want) { rc = 0; break; }
        nanosleep(&frame, NULL);
    }
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    kk_client_stats(c, &st);
    float x = 0, y = 0, h = 0;
    int have = st.local_slot >= 0 && kk_client_kart(c, st.local_slot, &x, &y, &h) == 0;
    printf("frames %llu (full %llu) inputs %llu rtt %.2f ms loss %.3f/%.3f corrections %llu pred exact %llu/%llu max %.3f m "
           "slot %d karts %d lap %d/%d phase %d tick %d lead %d bytes %llu/%llu kart %s(%.1f, %.1f, %.2f)\n",
           (unsigned long long)st.frames_received, (unsigned long long)st.frames_full,
           (unsigned long long)st.input_packets_sent, st.rtt_ms, st.up_loss, st.down_loss,
           (unsigned long long)st.corrections, (unsigned long long)st.prediction_exact,
           (unsigned long long)st.prediction_checks, st.prediction_error_max_m, st.local_slot, st.kart_count,
           st.lap, st.total_laps, st.race_phase, st.server_tick, st.lead_ticks,
           (unsigned long long)st.bytes_up, (unsigned long long)st.bytes_down, have ? "" : "none ", x, y, h);
    uint32_t moves = 99;
    int why = kk_client_last_failover(c, &moves);
    printf("failover %d moves %u\n", why, moves);
    if (kk_client_last_failover(NULL, NULL) != KK_FAILOVER_NONE) { printf("failover of NULL\n"); return 1; }
    kk_client_quit(c);
    kk_client_poll(c);
    printf("after quit: %s (reason %d)\n", state_name(kk_client_state(c)), kk_client_end_reason(c));
    kk_client_destroy(c);
    printf(rc == 0 ? "OK playing and received frames\n" : "FAILED\n");
    return rc;
}
