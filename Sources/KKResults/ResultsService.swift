import Foundation
import Hummingbird
import KKAdmin
import KKPostgres
import ServiceLifecycle

/// Why a results route refused.
public enum ResultsError: ServiceHTTPError, Equatable {
    case badRequest(String)
    case notFound(String)
    case storeUnavailable(PostgresStoreError)

    public var status: HTTPResponse.Status {
        switch self {
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .storeUnavailable: .serviceUnavailable
        }
    }

    public var label: String {
        switch self {
        case .badRequest: "bad_request"
        case .notFound: "not_found"
        case .storeUnavailable: "store_unavailable"
        }
    }

    public var message: String {
        switch self {
        case .badRequest(let m), .notFound(let m): m
        case .storeUnavailable(let e): "the results store is unavailable: \(e)"
        }
    }
}

/// The results routes (public: results are public):
/// - `GET /v1/results/matches/{id}`: a recorded race (verified or not, with the reason), its
///   entries by kart slot; 404 until it is recorded.
/// - `GET /v1/results/matches/{id}/ghost`: the race's input log (text, `kklog 1`): replay it
///   with the same physics to watch the race again.
public struct ResultsService: Sendable {
    public let store: ResultsStore

    public init(store: ResultsStore) { self.store = store }

    public func addRoutes<Context: RequestContext>(to router: Router<Context>) {
        router.get("/v1/results/matches/{id}") { _, ctx -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                let id = try Self.matchId(ctx)
                let r: ResultsStore.Recorded?
                do throws(PostgresStoreError) { r = try await store.result(matchId: id) } catch { throw .storeUnavailable(error) }
                guard let r else { throw .notFound("no result for match \(id) (yet)") }
                return ServiceHTTP.json(.ok, r)
            }
        }
        router.get("/v1/results/matches/{id}/ghost") { _, ctx -> Response in
            await ServiceHTTP.respond { () throws(ResultsError) in
                let id = try Self.matchId(ctx)
                let log: String?
                do throws(PostgresStoreError) { log = try await store.inputLog(matchId: id) } catch { throw .storeUnavailable(error) }
                guard let log else { throw .notFound("no input log for match \(id)") }
                return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: log)))
            }
        }
    }

    static func matchId<C: RequestContext>(_ ctx: C) throws(ResultsError) -> Int64 {
        guard let t = ctx.parameters.get("id"), let v = Int64(t), v > 0 else { throw .badRequest("the match id in the path must be a positive integer") }
        return v
    }
}

/// Runs the results consumer in a service group until shutdown.
public struct ResultsConsumerService: Service {
    public let consumer: ResultsConsumer
    public init(consumer: ResultsConsumer) { self.consumer = consumer }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await consumer.run() }
    }
}
