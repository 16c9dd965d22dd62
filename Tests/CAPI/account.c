/*
 * account.c — two players through the accounts part of the C ABI (libKartKlashClient.so):
 * device login, display names, a friend request accepted, presence, errors, log out.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -I Sources/CKartKlashClient/include Tests/CAPI/account.c \
 *      -L .build/debug -lKartKlashClient -Wl,-rpath,.build/debug -o /tmp/kk-capi-account
 *   /tmp/kk-capi-account http://127.0.0.1:7090 /tmp/some-dir
 *
 * Prints one line per step; exit 0 when every step did what it should, 1 otherwise.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kartklash_client.h"

static int failures = 0;
#define CHECK(cond, what) do { if (cond) printf("ok %s\n", what); else { printf("FAIL %s (%s)\n", what, kk_last_error()); failures++; } } while (0)

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s services_url prefs_dir\n", argv[0]); return 2; }
    char pa[512], pb[512], buf[8192], name[32];
    snprintf(pa, sizeof pa, "%s/a/session.json", argv[2]);
    snprintf(pb, sizeof pb, "%s/b/session.json", argv[2]);

    CHECK(kk_account_create("ftp://nope", NULL) == NULL && strlen(kk_last_error()) > 0, "bad url refused");
    kk_account *a = kk_account_create(argv[1], pa), *b = kk_account_create(argv[1], pb);
    CHECK(a && b, "created");
    CHECK(kk_account_friends_json(a, buf, sizeof buf) == 0 && strlen(kk_last_error()) > 0, "not logged in is an error");
    CHECK(kk_account_login(a) == 0 && kk_account_login(b) == 0, "device logins");
    int64_t ida = kk_account_id(a), idb = kk_account_id(b);
    CHECK(ida > 0 && idb > 0 && ida != idb, "two accounts");
    snprintf(name, sizeof name, "capiA%lld", (long long)(ida % 100000));
    CHECK(kk_account_set_name(a, name) == 0, "name a");
    snprintf(name, sizeof name, "capiB%lld", (long long)(idb % 100000));
    CHECK(kk_account_set_name(b, name) == 0, "name b");
    CHECK(kk_account_set_name(b, "x") == -1 && strlen(kk_last_error()) > 0, "bad name refused");
    CHECK(kk_account_friend(a, idb, KK_FRIEND_REQUEST) == 0, "a asks b");
    CHECK(kk_account_friend(a, idb, KK_FRIEND_REQUEST) == -1, "asking twice is refused");
    CHECK(kk_account_friend(b, ida, KK_FRIEND_ACCEPT) == 0, "b accepts");
    CHECK(kk_account_set_presence(b, "lobby", 0) == 0, "b in a lobby");
    CHECK(kk_account_set_presence(b, "away", 0) == -1, "bad presence refused");
    size_t n = kk_account_friends_json(a, buf, sizeof buf);
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", (long long)idb);
    CHECK(n > 0 && n < sizeof buf && strstr(buf, idtext) && strstr(buf, "\"lobby\""), "a sees b in a lobby");
    size_t small = kk_account_friends_json(a, buf, 8);
    CHECK(small == n && strlen(buf) == 7, "cut to the buffer, full length returned");
    CHECK(kk_account_friend(a, idb, 99) == -1, "bad action refused");
    int64_t party = kk_account_party(a, KK_PARTY_CREATE, 0);
    CHECK(party > 0, "a creates a party");
    CHECK(kk_account_party(a, KK_PARTY_INVITE, idb) == 0, "a invites b");
    CHECK(kk_account_party(b, KK_PARTY_JOIN, party) == 0, "b joins");
    n = kk_account_party_json(b, buf, sizeof buf);
    CHECK(n > 0 && strstr(buf, idtext), "b sees the party");
    CHECK(kk_account_party(b, 42, 0) == -1, "bad party action refused");
    CHECK(kk_account_request_party_match(b, "http://127.0.0.1:1", buf, sizeof buf) == 0, "only the leader gets a party ticket");
    CHECK(kk_account_party(b, KK_PARTY_LEAVE, 0) == 0, "b leaves");
        /* A second handle on a's preferences file logs in to the same account (the stored session). */
    kk_account *a2 = kk_account_create(argv[1], pa);
    CHECK(kk_account_login(a2) == 0 && kk_account_id(a2) == ida, "stored session reused");
    CHECK(kk_account_logout(a, 1) == 0 && kk_account_id(a) == 0, "log out everywhere");
    kk_account_destroy(a2);
    kk_account_destroy(a);
    kk_account_destroy(b);
    kk_account_destroy(NULL);
    printf(failures ? "FAILED %d\n" : "ALL OK\n", failures);
    return failures ? 1 : 0;
}
