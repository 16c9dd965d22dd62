import CKartKlashClient
import Foundation
import Glibc
import KKClientSDK

/// What a `kk_account *` points at: the platform services' clients, where the session is kept,
/// and the session itself once logged in. Not thread-safe (one thread per handle); every call
/// blocks for at most the services' timeout (5 s).
final class AccountHandle {
    let auth: AuthClient
    let social: SocialClient
    let results: ResultsClient
    let store: StoreClient
    let prefs: SecurePreferences
    var session: AuthSession?

    init(servicesURL: String, prefsPath: String) {
        auth = AuthClient(baseURL: servicesURL)
        social = SocialClient(baseURL: servicesURL)
        results = ResultsClient(baseURL: servicesURL)
        store = StoreClient(baseURL: servicesURL)
        prefs = SecurePreferences(path: prefsPath)
    }

    static func from(_ p: OpaquePointer?) -> AccountHandle? {
        guard let p else { return nil }
        return Unmanaged<AccountHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
    }

    /// The session, refreshed (and stored again) when its access token is about to expire.
    func live() throws(AuthClientError) -> AuthSession {
        guard let s = session else { throw .refused(status: 401, code: "not_logged_in") }
        let fresh = try auth.validSession(s)
        if fresh != s { session = fresh; try prefs.save(fresh) }
        return fresh
    }
}

/// Runs `body` for the handle; 0 on success, -1 with kk_last_error() set otherwise.
func accountCall(_ p: OpaquePointer?, _ body: (AccountHandle) throws(AuthClientError) -> Void) -> Int32 {
    setError("")
    guard let h = AccountHandle.from(p) else { setError("account is NULL"); return -1 }
    do throws(AuthClientError) { try body(h); return 0 } catch { setError(error.message); return -1 }
}

/// Copies `bytes` into `buf` NUL-terminated (cut to len - 1); returns the full length.
func copyOut(_ bytes: [UInt8], _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    if let buf, len > 0 {
        let n = min(bytes.count, len - 1)
        for i in 0..<n { buf[i] = CChar(bitPattern: bytes[i]) }
        buf[n] = 0
    }
    return bytes.count
}

func text(_ p: UnsafePointer<CChar>?) -> String? { p.map { String(cString: $0) } }

@_cdecl("kk_account_create")
public func kkAccountCreate(_ url: UnsafePointer<CChar>?, _ prefsPath: UnsafePointer<CChar>?) -> OpaquePointer? {
    setError("")
    guard let url = text(url), url.hasPrefix("http://") else { setError("services_url must be an http:// URL"); return nil }
    let h = AccountHandle(servicesURL: url, prefsPath: text(prefsPath) ?? SecurePreferences.defaultPath())
    return OpaquePointer(Unmanaged.passRetained(h).toOpaque())
}

@_cdecl("kk_account_destroy")
public func kkAccountDestroy(_ p: OpaquePointer?) {
    guard let p else { return }
    Unmanaged<AccountHandle>.fromOpaque(UnsafeRawPointer(p)).release()
}

@_cdecl("kk_account_login")
public func kkAccountLogin(_ p: OpaquePointer?) -> Int32 {
    accountCall(p) { (h) throws(AuthClientError) in h.session = try h.prefs.session(using: h.auth) }
}

@_cdecl("kk_account_login_email")
public func kkAccountLoginEmail(_ p: OpaquePointer?, _ email: UnsafePointer<CChar>?, _ password: UnsafePointer<CChar>?) -> Int32 {
    accountCall(p) { (h) throws(AuthClientError) in
        guard let email = text(email), let password = text(password) else { throw .refused(status: 400, code: "bad_request") }
        let s = try h.auth.loginEmail(email: email, password: password)
        h.session = s
        try h.prefs.save(s)
    }
}

@_cdecl("kk_account_register_email")
public func kkAccountRegisterEmail(_ p: OpaquePointer?, _ email: UnsafePointer<CChar>?, _ password: UnsafePointer<CChar>?) -> Int32 {
    accountCall(p) { (h) throws(AuthClientError) in
        guard let email = text(email), let password = text(password) else { throw .refused(status: 400, code: "bad_request") }
        try h.auth.registerEmail(try h.live(), email: email, password: password)
    }
}

@_cdecl("kk_account_logout")
public func kkAccountLogout(_ p: OpaquePointer?, _ everywhere: Int32) -> Int32 {
    accountCall(p) { (h) throws(AuthClientError) in
        let s = try h.live()
        if everywhere != 0 { try h.auth.logoutEverywhere(s) } else { try h.auth.logout(s) }
        h.session = nil
        h.prefs.remove()
    }
}

@_cdecl("kk_account_id")
public func kkAccountId(_ p: OpaquePointer?) -> Int64 { AccountHandle.from(p)?.session?.accountId ?? 0 }

@_cdecl("kk_account_request_match")
public func kkAccountRequestMatch(_ p: OpaquePointer?, _ matchURL: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<CChar>?,
                                  _ len: Int) -> Int {
    var out: [UInt8] = []
    let rc = accountCall(p) { (h) throws(AuthClientError) in
        guard let url = text(matchURL) else { throw .refused(status: 400, code: "bad_request") }
        let s = try h.live()
        do throws(MatchServiceError) {
            let ticket = try MatchService.requestMatch(baseURL: url, player: "", accessToken: s.accessToken)
            out = [UInt8]((try? JSONEncoder().encode(ticket)) ?? Data())
        } catch { throw .unreachable(error.message) }
    }
    return rc == 0 ? copyOut(out, buf, len) : 0
}

@_cdecl("kk_account_friends_json")
public func kkAccountFriendsJSON(_ p: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    var out: [UInt8] = []
    let rc = accountCall(p) { (h) throws(AuthClientError) in out = try h.social.friendsJSON(try h.live()) }
    return rc == 0 ? copyOut(out, buf, len) : 0
}

@_cdecl("kk_account_set_name")
public func kkAccountSetName(_ p: OpaquePointer?, _ name: UnsafePointer<CChar>?) -> Int32 {
    accountCall(p) { (h) throws(AuthClientError) in
        guard let name = text(name) else { throw .refused(status: 400, code: "bad_request") }
        try h.social.setDisplayName(try h.live(), name)
    }
}

@_cdecl("kk_account_friend")
public func kkAccountFriend(_ p: OpaquePointer?, _ accountId: Int64, _ action: Int32) -> Int32 {
    accountCall(p) { (h) throws(AuthClientError) in
        let s = try h.live()
        switch UInt32(bitPattern: action) {
        case KK_FRIEND_REQUEST.rawValue: _ = try h.social.requestFriend(s, accountId)
        case KK_FRIEND_ACCEPT.rawValue: try h.social.accept(s, from: accountId)
        case KK_FRIEND_DECLINE.rawValue: try h.social.decline(s, from: accountId)
        case KK_FRIEND_CANCEL.rawValue: try h.social.cancel(s, to: accountId)
        case KK_FRIEND_REMOVE.rawValue: try h.social.unfriend(s, accountId)
        case KK_FRIEND_BLOCK.rawValue: try h.social.block(s, accountId)
        case KK_FRIEND_UNBLOCK.rawValue: try h.social.unblock(s, accountId)
        default: throw .refused(status: 400, code: "bad_action")
        }
    }
}

@_cdecl("kk_account_set_presence")
public func kkAccountSetPresence(_ p: OpaquePointer?, _ state: UnsafePointer<CChar>?, _ matchId: Int64) -> Int32 {
    accountCall(p) { (h) throws(AuthClientError) in
        guard let state = text(state) else { throw .refused(status: 400, code: "bad_request") }
        try h.social.setPresence(try h.live(), state: state, matchId: matchId > 0 ? matchId : nil)
    }
}

@_cdecl("kk_account_party")
public func kkAccountParty(_ p: OpaquePointer?, _ action: Int32, _ id: Int64) -> Int64 {
    var result: Int64 = 0
    let rc = accountCall(p) { (h) throws(AuthClientError) in
        let s = try h.live()
        switch UInt32(bitPattern: action) {
        case KK_PARTY_CREATE.rawValue: result = try h.social.createParty(s)
        case KK_PARTY_INVITE.rawValue: try h.social.inviteToParty(s, id)
        case KK_PARTY_JOIN.rawValue: try h.social.joinParty(s, id)
        case KK_PARTY_LEAVE.rawValue: try h.social.leaveParty(s)
        default: throw .refused(status: 400, code: "bad_action")
        }
    }
    return rc == 0 ? result : -1
}

@_cdecl("kk_account_party_json")
public func kkAccountPartyJSON(_ p: OpaquePointer?, _ buf: UnsafeMutablePointer<CChar>?, _ len: Int) -> Int {
    var out: [UInt8] = []
    let rc = accountCall(p) { (h) throws(AuthClientError) in
        let view = try h.social.party(try h.live())
        out = [UInt8]((try? JSONEncoder().encode(view)) ?? Data())
    }
    return rc == 0 ? copyOut(out, buf, len) : 0
}

@_cdecl("kk_account_request_party_match")
public func kkAccountRequestPartyMatch(_ p: OpaquePointer?, _ matchURL: UnsafePointer<CChar>?, _ buf: UnsafeMutablePointer<CChar>?,
                                       _ len: Int) -> Int {
    var out: [UInt8] = []
    let rc = accountCall(p) { (h) throws(AuthClientError) in
        guard let url = text(matchURL) else { throw .refused(status: 400, code: "bad_request") }
        let s = try h.live()
        let ticket = try h.social.partyTicket(s)
        do throws(MatchServiceError) {
            let t = try MatchService.requestMatch(baseURL: url, player: "", accessToken: s.accessToken, party: ticket)
            out = [UInt8]((try? JSONEncoder().encode(t)) ?? Data())
        } catch { throw .unreachable(error.message) }
    }
    return rc == 0 ? copyOut(out, buf, len) : 0
}
