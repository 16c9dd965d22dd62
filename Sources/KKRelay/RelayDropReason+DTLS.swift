import KKDTLS
import KKRelayCore
import KKToken

/// The one mapping of cookie-gate verdicts and DTLS failures onto the relay's drop counter.
extension RelayDropReason {
    init(gate: DTLSGateDropReason) {
        self = switch gate {
        case .tooShort: .gateTooShort
        case .notHandshake: .gateNotHandshake
        case .badRecordVersion: .gateBadRecordVersion
        case .nonZeroEpoch: .gateNonZeroEpoch
        case .badRecordLength: .gateBadRecordLength
        case .notClientHello: .gateNotClientHello
        case .fragmented: .gateFragmented
        case .badMessageSequence: .gateBadMessageSequence
        case .unsupportedVersion: .gateUnsupportedVersion
        case .truncatedHello: .gateTruncatedHello
        case .noRoomForResponse: .gateNoRoomForResponse
        case .badPeerAddress: .gateBadPeerAddress
        }
    }

    init(token: TokenError) {
        self = switch token {
        case .truncated: .tokenTruncated
        case .oversized: .tokenOversized
        case .badEncoding: .tokenBadEncoding
        case .wrongVersion: .tokenWrongVersion
        case .wrongProtocol: .tokenWrongProtocol
        case .expired: .tokenExpired
        case .notYetValid: .tokenNotYetValid
        case .unknownKey: .tokenUnknownKey
        case .authenticationFailed: .tokenAuthenticationFailed
        case .invalidContent: .tokenInvalidContent
        case .cryptoFailure: .tokenCryptoFailure
        }
    }

    init(record: DTLSRecordRejection) {
        self = switch record {
        case .truncated: .recordTruncated
        case .wrongVersion: .recordWrongVersion
        case .staleEpoch: .recordStaleEpoch
        case .futureEpoch: .recordFutureEpoch
        case .unexpectedType: .recordUnexpectedType
        case .tooShort: .recordTooShort
        case .tooLong: .recordTooLong
        }
    }

    /// A handshake (or session) that failed with `error`.
    init(handshake error: DTLSError) {
        self = switch error {
        case .tokenRejected(let t): RelayDropReason(token: t)
        case .cookieInvalid: .cookieInvalid
        case .alertReceived: .handshakeAlert
        case .timeout: .handshakeTimeout
        case .protocolError: .dtlsProtocolError
        case .setupFailed, .invalidConfiguration: .dtlsSetupFailed
        case .handshakeFailed, .peerClosed, .notEstablished, .closed, .datagramTooLarge, .bufferTooSmall: .handshakeFailed
        }
    }
}
