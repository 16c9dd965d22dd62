/*
 * results.c — results, leaderboards, a ghost, the wallet and the store through the C ABI
 * (libKartKlashClient.so), for an account that was granted 600 and bought skin.neon (250).
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/CKartKlashClient/include Tests/CAPI/results.c \
 *      -L .build/debug -lKartKlashClient -Wl,-rpath,.build/debug -o /tmp/kk-capi-results
 *   /tmp/kk-capi-results http://127.0.0.1:7090 /path/to/session.json match_id
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

static char ghost[262144];

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s services_url session_path match_id\n", argv[0]); return 2; }
    char buf[16384];
    kk_account *a = kk_account_create(argv[1], argv[2]);
    CHECK(a != NULL && kk_account_login(a) == 0, "logged in with the stored session");

    size_t n = kk_account_wallet_json(a, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "\"balance\":350"), "wallet: 600 granted, 250 spent");
    n = kk_account_inventory_json(a, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "skin.neon") && strstr(buf, "kart.standard"), "inventory: bought and starters");
    n = kk_account_catalog_json(a, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "kart.drifter"), "catalog");
    CHECK(kk_account_purchase(a, "kart.drifter", 300, "capi-1") == -1 && strstr(kk_last_error(), "stale_price"), "stale price refused");
    CHECK(kk_account_purchase(a, "kart.drifter", 500, "capi-2") == -1 && strstr(kk_last_error(), "insufficient_funds"), "too expensive refused");
    CHECK(kk_account_purchase(a, "kart.nothing", 5, "capi-3") == -1 && strstr(kk_last_error(), "unknown_item"), "unknown item refused");
    CHECK(kk_account_purchase(a, "skin.neon", 250, "capi-4") == -1 && strstr(kk_last_error(), "already_owned"), "owned refused");
    int64_t after = kk_account_purchase(a, "skin.carbon", 400, "capi-5");
    CHECK(after == -1, "still not enough for carbon");
    n = kk_account_wallet_json(a, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "\"balance\":350"), "refusals changed nothing");

    n = kk_account_result_json(a, strtoll(argv[3], NULL, 10), buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "\"verified\":true"), "the race's result");
    n = kk_account_stats_json(a, 0, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "\"races\":0"), "my stats (no race yet)");
    n = kk_account_leaderboard_json(a, "sprint", KK_BOARD_TOP, 10, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "\"rank\":1"), "the sprint board");
    n = kk_account_leaderboard_json(a, "sprint", KK_BOARD_FRIENDS, 10, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, "\"rows\":[]"), "my friends' board is empty");
    CHECK(kk_account_leaderboard_json(a, "sprint", 7, 10, buf, sizeof buf) == 0, "bad scope refused");

    n = kk_account_ghost_json(a, "sprint", 0, ghost, sizeof ghost);
    CHECK(n > 0 && n < sizeof ghost && strstr(ghost, "kklog 1"), "the best time's ghost");
    kk_ghost *g = kk_ghost_create(ghost, n);
    CHECK(g != NULL, "ghost replay");
    CHECK(kk_ghost_create("{}", 2) == NULL && strlen(kk_last_error()) > 0, "not a ghost refused");
    uint32_t steps = 0;
    float x = 0, y = 0, h = 0;
    while (g && kk_ghost_step(g, &x, &y, &h) == 1) steps++;
    CHECK(g && steps == kk_ghost_ticks(g) && kk_ghost_tick(g) == steps && steps > 600, "replayed to the end");
    printf("ghost: %u ticks, ends at (%.1f, %.1f)\n", steps, x, y);
    kk_ghost_destroy(g);
    kk_account_destroy(a);
    if (failures == 0) printf("ALL OK\n");
    return failures == 0 ? 0 : 1;
}
