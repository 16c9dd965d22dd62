/*
 * kartklash_client.h — C ABI of the KartKlash client SDK (libKartKlashClient.so).
 *
 * One handle = one player's session: prediction, rollback and smoothing, a DTLS 1.2 (PSK)
 * transport to a relay from the token's relay list, relay failover with the resume ticket.
 * Each handle owns its own event loop; nothing runs in the background: call kk_client_poll()
 * every frame (it never blocks) and the handle does its 60 Hz ticks, network reads and sends
 * inside that call. A handle must be used from one thread at a time. Several handles may
 * live in one process. No Swift types cross this boundary.
 *
 * Typical frame:
 *     kk_client_set_input(c, buttons, steer);
 *     kk_client_poll(c);
 *     for (int s = 0; s < kk_client_kart_count(c); s++) kk_client_kart(c, s, &x, &y, &h);
 *
 * Build against it: cc game.c -I<include dir> -L<dir of the .so> -lKartKlashClient
 *                   -Wl,-rpath,<dir of the .so>:<swift runtime dir, e.g. /usr/lib/swift/linux>
 */
#ifndef KARTKLASH_CLIENT_H
#define KARTKLASH_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque session handle. */
typedef struct kk_client kk_client;

/* kk_client_state() */
enum kk_client_state_code {
    KK_STATE_IDLE = 0,
    KK_STATE_CONNECTING = 1,  /* contacting the relay */
    KK_STATE_HANDSHAKING = 2, /* DTLS handshake with a relay */
    KK_STATE_JOINING = 3,     /* Hello sent, waiting for Welcome */
    KK_STATE_PLAYING = 4,     /* inputs up, frames down */
    KK_STATE_RESUMING = 5,    /* relay changed; reconnecting with the resume ticket */
    KK_STATE_ENDED = 6        /* over for good: see kk_client_end_reason() and the status text */
};

/* kk_client_end_reason(), when the state is KK_STATE_ENDED. */
enum kk_client_end_reason_code {
    KK_END_NONE = 0,              /* not ended */
    KK_END_QUIT = 1,              /* the player quit (kk_client_quit) */
    KK_END_MATCH_OVER = 2,        /* the match is over */
    KK_END_UNREACHABLE = 3,       /* no relay could be reached */
    KK_END_HANDSHAKE_FAILED = 4,  /* the secure handshake failed */
    KK_END_TOKEN_EXPIRED = 5,     /* the ticket expired: ask the match service for a new one */
    KK_END_TIMED_OUT = 6,         /* nothing heard for too long / no Welcome in time */
    KK_END_SERVER = 7             /* the relay disconnected us for another reason (status text says why) */
};

/* Buttons for kk_client_set_input() (bit set). */
#define KK_BUTTON_ACCELERATE 0x01u
#define KK_BUTTON_BRAKE      0x02u
#define KK_BUTTON_DRIFT      0x04u
#define KK_BUTTON_BOOST      0x08u

/* Optional settings for kk_client_create(); pass NULL for the defaults.
 * Set struct_size = sizeof(kk_client_config) (lets the struct grow compatibly).
 * A zero field means "default". */
typedef struct kk_client_config {
    uint32_t struct_size;
    int32_t send_hz;           /* input packets per second: 20, 30 (default) or 60 */
    int32_t input_redundancy;  /* inputs per packet, 1...32 (default 16) */
    int32_t reserved;          /* 0 */
    const char *track;         /* track name, NULL = "oval" (must match the match's track) */
} kk_client_config;

/* kk_client_last_failover(): why the client last moved to another relay (while it resumes the
 * state is KK_STATE_RESUMING: show "reconnecting"). */
enum kk_client_failover_reason {
    KK_FAILOVER_NONE = 0,              /* no move yet */
    KK_FAILOVER_RELAY_SILENT = 1,      /* nothing heard for longer than the measured path explains */
    KK_FAILOVER_RELAY_DRAINING = 2,    /* the relay told its clients to move (it drains) */
    KK_FAILOVER_RELAY_CLOSED = 3,      /* the relay closed the connection while we played */
    KK_FAILOVER_HANDSHAKE_FAILED = 4,  /* the next relay's handshake failed or timed out while resuming */
    KK_FAILOVER_MANUAL = 5             /* the game asked for it */
};

/* Figures for a HUD or telemetry (kk_client_stats()). Set struct_size = sizeof(kk_client_stats_t)
 * before the call. Layout (x86-64 / arm64 LP64): 8 doubles (offsets 0-56), 8 uint64 (64-120),
 * 12 int32 (128-172); sizeof = 176. */
typedef struct kk_client_stats_t {
    uint32_t struct_size;
    uint32_t reserved0;
    double rtt_ms;                   /* smoothed round trip */
    double up_loss;                  /* 0...1, share of ticks the server stepped without our input */
    double down_loss;                /* 0...1, frames lost relay -> client */
    double corrections_per_second;   /* prediction corrections over the last second */
    double correction_mean_m;        /* mean size of a correction, metres */
    double prediction_error_mean_m;  /* predicted vs authoritative own kart at the same tick */
    double prediction_error_max_m;
    uint64_t frames_received;
    uint64_t frames_full;
    uint64_t prediction_checks;      /* frames compared with the prediction for their tick */
    uint64_t prediction_exact;       /* ... with the own kart exactly where predicted */
    uint64_t bytes_up;               /* UDP payload bytes (DTLS records) sent, all relays */
    uint64_t bytes_down;             /* ... received */
    uint64_t input_packets_sent;
    uint64_t corrections;
    int32_t local_slot;              /* own kart slot, -1 before Welcome */
    int32_t kart_count;              /* karts in the match (0 before the first frame) */
    int32_t lap;                     /* own kart's lap, 1-based (0 before the start line) */
    int32_t total_laps;
    int32_t race_phase;              /* 0 countdown, 1 racing, 2 finished, -1 unknown */
    int32_t kart_status;             /* own kart: 0 racing, 1 finished, 2 retired idle, 3 timed out, -1 unknown */
    int32_t position;                /* own race position, 1-based (0 unknown) */
    int32_t server_tick;             /* newest authoritative tick */
    int32_t lead_ticks;              /* ticks predicted ahead of the server */
    int32_t relay_changes;
    int32_t resumes;
    int32_t reserved1;
} kk_client_stats_t;

/* Creates a session from a connect token (the JSON the match service returns: either
 * {"token": {...}, "matchId": ...} or a bare token object) and starts connecting at once.
 * Returns NULL on error; kk_last_error() says why. */
kk_client *kk_client_create(const char *token_json, size_t token_len, const kk_client_config *config);

/* Text of the last error of kk_client_create() on this thread ("" when none). Valid until the
 * next call on this thread. */
const char *kk_last_error(void);

/* The controls for the next ticks: KK_BUTTON_* bits, steer -127 (right) ... 127 (left). */
void kk_client_set_input(kk_client *client, uint32_t buttons, int32_t steer);

/* Runs the handle's event loop once without blocking: due ticks (60 Hz, prediction, input
 * packets), received frames, timers. Call every frame. A call over 100 ms after the previous
 * one (a hitch, a loading screen) is not taken for the relay's silence: the frames that came
 * meanwhile count. Returns kk_client_state(). */
int kk_client_poll(kk_client *client);

/* enum kk_client_state_code */
int kk_client_state(const kk_client *client);

/* enum kk_client_end_reason_code */
int kk_client_end_reason(const kk_client *client);

/* One line for the player ("connected", "relay changed; reconnecting...", "your ticket
 * expired; ask for a new match", ...), NUL-terminated, cut to len - 1 bytes. Returns the full
 * length (like snprintf). */
size_t kk_client_status_text(const kk_client *client, char *buf, size_t len);

/* Karts in the drawn state (0 before the first frame). */
int kk_client_kart_count(const kk_client *client);

/* Where to draw kart `slot` (own kart predicted and smoothed, others interpolated): metres and
 * heading in radians (0 = +x, counter-clockwise). Returns 0, or -1 when there is no such kart
 * (yet); outputs are then untouched. Any output pointer may be NULL. */
int kk_client_kart(const kk_client *client, int slot, float *x, float *y, float *heading);

/* Fills *stats (set stats->struct_size first). Returns 0, or -1 on a bad argument. */
int kk_client_stats(const kk_client *client, kk_client_stats_t *stats);

/* A suggested input from the built-in autopilot for the own kart (for bots, tests and AFK):
 * writes *buttons and *steer. Returns 0, or -1 before the first frame. */
int kk_client_bot_input(kk_client *client, uint32_t *buttons, int32_t *steer);

/* enum kk_client_failover_reason of the newest relay move (KK_FAILOVER_NONE before any); when
 * `count` is not NULL it gets the number of moves so far. */
int kk_client_last_failover(const kk_client *client, uint32_t *count);

/* Leaves the match (sends Disconnect); the state becomes KK_STATE_ENDED / KK_END_QUIT. */
void kk_client_quit(kk_client *client);

/* Quits if still connected, closes sockets and frees the handle. NULL is ignored. */
void kk_client_destroy(kk_client *client);

/* ---- Accounts and friends (the platform services, kk-services) ----
 * One handle = one player's account: login (this device's account, or email + password),
 * the session kept in a preferences file only the user can read (mode 0600; tokens are never
 * logged), access tokens refreshed before they expire, match tickets, friends and presence.
 * Calls block for at most 5 s (the services' timeout); use them outside the frame loop. Every
 * int-returning call gives 0 on success and -1 on failure, with kk_last_error() saying why. */
typedef struct kk_account kk_account;

/* kk_account_friend() actions. */
enum kk_friend_action {
    KK_FRIEND_REQUEST = 1,  /* ask (becomes a friendship at once if they had asked too) */
    KK_FRIEND_ACCEPT = 2,   /* accept their request */
    KK_FRIEND_DECLINE = 3,  /* decline their request */
    KK_FRIEND_CANCEL = 4,   /* cancel my request */
    KK_FRIEND_REMOVE = 5,   /* end the friendship */
    KK_FRIEND_BLOCK = 6,    /* block: they cannot find or ask you; ends friendship and requests */
    KK_FRIEND_UNBLOCK = 7
};

/* services_url: kk-services' base URL (http://host:port). prefs_path: the session file (NULL =
 * $XDG_CONFIG_HOME/kartklash/session.json). Does not contact the services. NULL on a bad URL. */
kk_account *kk_account_create(const char *services_url, const char *prefs_path);
void kk_account_destroy(kk_account *account);

/* The stored session (refreshed when due), else this device's account (created on first use). */
int kk_account_login(kk_account *account);
int kk_account_login_email(kk_account *account, const char *email, const char *password);
/* Gives the logged-in account email credentials (so other devices can log in to it). */
int kk_account_register_email(kk_account *account, const char *email, const char *password);
/* Logs out this device (everywhere = 0) or every session of the account (everywhere = 1). */
int kk_account_logout(kk_account *account, int everywhere);
/* The logged-in account's id (the player id in matches), 0 when not logged in. */
int64_t kk_account_id(const kk_account *account);

/* Asks the match service (match_url) for a ticket as this account; writes the JSON to pass to
 * kk_client_create() into buf (NUL-terminated, cut to len - 1) and returns its full length, or 0
 * on failure (kk_last_error()). */
size_t kk_account_request_match(kk_account *account, const char *match_url, char *buf, size_t len);

/* The friend list as JSON: {"friends": [{"accountId", "displayName", "presence": {"state",
 * "matchId"?}}], "incoming": [...], "outgoing": [...]}; like kk_account_request_match(). */
size_t kk_account_friends_json(kk_account *account, char *buf, size_t len);
/* Sets the display name others find (3-24 letters, digits, _ - . or inner spaces). */
int kk_account_set_name(kk_account *account, const char *name);
/* enum kk_friend_action on another account. */
int kk_account_friend(kk_account *account, int64_t account_id, int action);
/* The presence heartbeat: "online", "lobby", or "racing" with match_id > 0 (0 otherwise). */
int kk_account_set_presence(kk_account *account, const char *state, int64_t match_id);

/* kk_account_party() actions. A party has at most 8 players, each in one party at most. */
enum kk_party_action {
    KK_PARTY_CREATE = 1,  /* create one led by me; returns its id */
    KK_PARTY_INVITE = 2,  /* (leader) invite the friend `id` */
    KK_PARTY_JOIN = 3,    /* join party `id`, which invited me */
    KK_PARTY_LEAVE = 4    /* leave mine (the longest-standing member leads next) */
};
/* Returns the party id for KK_PARTY_CREATE, 0 for the others, -1 on failure. */
int64_t kk_account_party(kk_account *account, int action, int64_t id);
/* My party and invitations as JSON {"party": {...} or null, "invitations": [...]}; like
 * kk_account_friends_json(). */
size_t kk_account_party_json(kk_account *account, char *buf, size_t len);
/* (Leader) seats the whole party in one match and returns the leader's ticket JSON (members
 * then call kk_account_request_match() and get their seats); like kk_account_request_match(). */
size_t kk_account_request_party_match(kk_account *account, const char *match_url, char *buf, size_t len);

/* ---- Lobby (rooms, quick play, the race's ticket) ----
 * One handle = one WebSocket to the lobby service, opened in the background with the account's
 * access token and reconnected by itself after a drop (a held seat is kept for a while). Send
 * commands with the calls below and read what the lobby says with kk_lobby_poll(). Events are
 * JSON objects with a "type": "hello", "ok"/"error" ("ref", "code", "message"), "room"
 * ("room": {"id", "code", "host", "phase", "startsAtMillis", "members": [{"account", "ready",
 * "vote", "awayUntilMillis"}], "seats", "tracks"}, "events": [{"kind", ...}]), "left", "queue"
 * ("queue": {"state", "ticketId", "region", "players"}), "match" (the race: pass the event to
 * kk_lobby_match_ticket()), and from the handle itself "reconnecting" ("attempt", "reason") and
 * "closed" ("code", "reason"; the socket is gone for good). docs/LOBBY.md lists the codes. */
typedef struct kk_lobby kk_lobby;

/* lobby_url: ws://host:port/v1/lobby. The account must be logged in; its access token at this
 * moment authenticates the socket (after a "closed" with an expired token, log in and connect
 * again). NULL on failure (kk_last_error()). */
kk_lobby *kk_lobby_connect(kk_account *account, const char *lobby_url);
/* Closes the socket and frees the handle. NULL is ignored. */
void kk_lobby_destroy(kk_lobby *lobby);
/* Any command as JSON ({"op": ..., "ref": ...}; docs/LOBBY.md). 0, or -1 if it is not JSON. */
int kk_lobby_send_json(kk_lobby *lobby, const char *json);
int kk_lobby_create(kk_lobby *lobby, int is_public);
int kk_lobby_join(kk_lobby *lobby, const char *code);
int kk_lobby_quick_join(kk_lobby *lobby);
int kk_lobby_leave(kk_lobby *lobby);
int kk_lobby_ready(kk_lobby *lobby, int ready);
int kk_lobby_vote(kk_lobby *lobby, const char *track);
int kk_lobby_chat(kk_lobby *lobby, const char *text);
int kk_lobby_kick(kk_lobby *lobby, int64_t account_id);
/* Quick play; pings_json: measured round trips per region, {"local": 23, ...}. */
int kk_lobby_queue(kk_lobby *lobby, const char *pings_json);
int kk_lobby_cancel_queue(kk_lobby *lobby);
/* Waits at most timeout_ms (0: no wait) for the next event; writes its JSON into buf
 * (NUL-terminated, cut to len - 1) and returns its full length; 0 when none came. */
size_t kk_lobby_poll(kk_lobby *lobby, int timeout_ms, char *buf, size_t len);
/* From a "match" event's JSON: the ticket JSON kk_client_create() takes (as
 * kk_account_request_match() gives); 0 when the event is not a match (kk_last_error()). */
size_t kk_lobby_match_ticket(const char *match_event_json, char *buf, size_t len);
/* Picks a kart or skin for the next race from the account's inventory (kk_account_inventory_json). */
int kk_lobby_equip(kk_lobby *lobby, const char *item);

/* ---- Proximity voice signalling (kk-services voice) ----
 * One handle = one WebSocket to the voice service with the account's access token (reconnected
 * by itself). The service tells the game whom to open a WebRTC peer connection to and whom to
 * close (karts in range of each other, party members always), whom the player hears at which
 * gain (0-1), and relays the peers' SDP and ICE. The media stays in the engine's WebRTC stack,
 * through the TURN server of on_welcome's credentials. Callbacks run inside kk_voice_poll(), on
 * the caller's thread; any may be NULL. Strings are valid during the call only. */
typedef struct kk_voice kk_voice;
typedef struct kk_voice_callbacks {
    /* Connected (again): the player's id and the TURN server(s) to use, as JSON
     * {"urls": [...], "username": ..., "credential": ..., "ttl": seconds} (an RTCIceServer). */
    void (*on_welcome)(void *user, int64_t player, const char *turn_json);
    /* Open a peer connection to peer; initiator 1: create the offer, 0: wait for it. */
    void (*on_connect)(void *user, int64_t peer, int initiator);
    /* Close the peer connection to peer (out of range, left, disconnected). */
    void (*on_disconnect)(void *user, int64_t peer);
    /* The audible set: count speakers and their gains; everyone else is silent. */
    void (*on_audible)(void *user, const int64_t *speakers, const double *gains, size_t count);
    void (*on_offer)(void *user, int64_t from, const char *sdp);
    void (*on_answer)(void *user, int64_t from, const char *sdp);
    /* sdp_mid may be NULL; sdp_mline_index -1 when absent. */
    void (*on_ice)(void *user, int64_t from, const char *candidate, const char *sdp_mid, int sdp_mline_index);
    void (*on_bye)(void *user, int64_t from);
    /* Something this client sent was refused: not_in_range, not_in_match, too_large,
     * bad_message, unknown_type, rate_limited (docs/VOICE.md). */
    void (*on_error)(void *user, const char *code, const char *text);
    /* The socket dropped and reconnects (closed 0) or closed for good (closed 1). */
    void (*on_connection)(void *user, int closed, const char *reason);
} kk_voice_callbacks;

/* voice_url: ws://host:port/v1/voice. NULL on failure (kk_last_error()). */
kk_voice *kk_voice_connect(kk_account *account, const char *voice_url);
void kk_voice_destroy(kk_voice *voice);
/* Calls the callbacks for every waiting event, waiting at most timeout_ms for the first (0: no
 * wait). Returns how many events were handled, -1 for NULL. */
int kk_voice_poll(kk_voice *voice, const kk_voice_callbacks *callbacks, void *user, int timeout_ms);
/* Signalling to a peer the service linked this player with; 0, or -1 (kk_last_error()). */
int kk_voice_send_offer(kk_voice *voice, int64_t to, const char *sdp);
int kk_voice_send_answer(kk_voice *voice, int64_t to, const char *sdp);
int kk_voice_send_ice(kk_voice *voice, int64_t to, const char *candidate, const char *sdp_mid, int sdp_mline_index);
int kk_voice_send_bye(kk_voice *voice, int64_t to);

/* ---- Results, stats, leaderboards, ghosts, wallet and store (kk-services) ----
 * Calls on an account handle, blocking like the calls above; the JSON ones write the service's
 * answer like kk_account_friends_json() (0 on failure, kk_last_error() says why, e.g.
 * "...HTTP 409 insufficient_funds"). Times are ticks (60 per second). */

/* kk_account_leaderboard_json() scopes. */
enum kk_board_scope {
    KK_BOARD_TOP = 0,        /* the season's best times */
    KK_BOARD_AROUND_ME = 1,  /* my rank with `limit` rows on each side */
    KK_BOARD_FRIENDS = 2     /* me and my friends, ranked among ourselves */
};

/* A recorded race: {"matchId", "track", "verified", "unverifiedReason"?, "entries": [{"slot",
 * "playerId", "place", "finishTick", "status"}]} (HTTP 404 until the results service has it). */
size_t kk_account_result_json(kk_account *account, int64_t match_id, char *buf, size_t len);
/* A player's stats (player_id 0: mine): {"races", "finishes", "wins", "podiums", "bestTicks":
 * {track: ticks}, "skill": {"mu", "sigma"}, "ordinal"}. */
size_t kk_account_stats_json(kk_account *account, int64_t player_id, char *buf, size_t len);
/* A track's board (enum kk_board_scope, limit 1-100): {"track", "season", "rows": [{"rank",
 * "playerId", "bestTicks", "matchId"}]}. */
size_t kk_account_leaderboard_json(kk_account *account, const char *track, int scope, int limit, char *buf, size_t len);
/* The ghost of the season's best time on `track` (player_id 0), or of a player's best:
 * {"playerId", "matchId", "slot", "bestTicks", "log"}; replay it with kk_ghost_create(). */
size_t kk_account_ghost_json(kk_account *account, const char *track, int64_t player_id, char *buf, size_t len);
/* My wallet: {"balance", "recent": [{"id", "kind", "amount", "balanceAfter", "item", "reason"}]}. */
size_t kk_account_wallet_json(kk_account *account, char *buf, size_t len);
/* The store: {"items": [{"item", "kind", "name", "price" (null: everyone has it)}]}. */
size_t kk_account_catalog_json(kk_account *account, char *buf, size_t len);
/* What I may pick: {"items": ["kart.standard", ...]}. */
size_t kk_account_inventory_json(kk_account *account, char *buf, size_t len);
/* Buys `item` at the price shown (expected_price): the new balance, or -1 (kk_last_error():
 * stale_price, already_owned, insufficient_funds, unknown_item...). idempotency_key: one per
 * purchase the player made, so a retry buys once (NULL: a new one). */
int64_t kk_account_purchase(kk_account *account, const char *item, int64_t expected_price, const char *idempotency_key);

/* A ghost being replayed with the game's physics (deterministic: the recorded race exactly). */
typedef struct kk_ghost kk_ghost;
/* From kk_account_ghost_json()'s answer (or {"log", "slot"}). NULL on error (kk_last_error()). */
kk_ghost *kk_ghost_create(const char *ghost_json, size_t len);
/* Steps one tick (call at 60 Hz) and writes the ghost kart's pose (metres, radians; any pointer
 * may be NULL). Returns 1, or 0 once the race is played out, -1 for NULL. */
int kk_ghost_step(kk_ghost *ghost, float *x, float *y, float *heading);
/* Ticks replayed so far and in all. */
uint32_t kk_ghost_tick(const kk_ghost *ghost);
uint32_t kk_ghost_ticks(const kk_ghost *ghost);
void kk_ghost_destroy(kk_ghost *ghost);

#ifdef __cplusplus
}
#endif

#endif /* KARTKLASH_CLIENT_H */
