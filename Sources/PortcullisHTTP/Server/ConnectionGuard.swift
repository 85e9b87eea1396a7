import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import PortcullisCore
import Synchronization

/// Keeps slow and hoarding clients from holding the server's connections:
/// - a request's headers must arrive within the header timeout, counted from the moment the
///   connection opens or, on a kept-alive connection, from the next request's first byte; its body
///   must then arrive within as long again;
/// - a response the client stops reading (its receive window stays full) is abandoned after the
///   idle timeout;
/// - one client network (an address, or an IPv6 /64) holds at most a fixed number of connections
///   at once; trusted proxies, which carry many clients, are exempt.
///
/// Idle keep-alive connections are closed by Hummingbird's idle timeout, which leaves a response
/// still being written alone: the revocation feed's long-lived streams, which the server keeps
/// busy itself, are never cut while their reader reads.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let headerTimeout: TimeAmount
    private let stallTimeout: TimeAmount
    private let limiter: ConnectionLimiter
    private let resolver: ClientAddressResolver
    private var context: ChannelHandlerContext?
    /// Runs while a request's headers or body are due.
    private var requestDeadline: Scheduled<Void>?
    /// Runs while the client is not taking what the server writes.
    private var stallDeadline: Scheduled<Void>?
    private var started = false
    /// Between a response's end and the next request's first byte: the header clock is not running.
    private var betweenRequests = false
    private var requestsInFlight = 0

    init(headerTimeout: Duration, stallTimeout: Duration, limiter: ConnectionLimiter, resolver: ClientAddressResolver) {
        self.headerTimeout = .nanoseconds(Int64(headerTimeout / .nanoseconds(1)))
        self.stallTimeout = .nanoseconds(Int64(stallTimeout / .nanoseconds(1)))
        self.limiter = limiter
        self.resolver = resolver
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        requestDeadline?.cancel()
        requestDeadline = nil
        stallDeadline?.cancel()
        stallDeadline = nil
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            // The headers are in; the body is due within as long again.
            requestsInFlight += 1
            startRequestClock(context)
        case .end:
            requestDeadline?.cancel()
            requestDeadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            stallDeadline?.cancel()
            stallDeadline = nil
        } else if stallDeadline == nil {
            stallDeadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: stallTimeout) {
                context.close(promise: nil)
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) {
            requestsInFlight -= 1
            if requestsInFlight == 0 { betweenRequests = true }
        }
        context.write(data, promise: promise)
    }

    /// The first bytes of a new request on a kept-alive connection: its headers are now due.
    fileprivate func bytesArrived() {
        guard betweenRequests, let context else { return }
        betweenRequests = false
        startRequestClock(context)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        if let address = context.channel.remoteAddress?.ipAddress, !resolver.isTrustedProxy(address) {
            let network = IPAddress(address)?.clientNetwork ?? address
            guard limiter.open(network) else {
                context.close(promise: nil)
                return
            }
            let limiter = self.limiter
            context.channel.closeFuture.whenComplete { _ in limiter.closed(network) }
        }
        try? context.pipeline.syncOperations.addHandler(FirstByteWatcher(guard: self), position: .first)
        startRequestClock(context)
    }

    /// Gives the client one header timeout for what is due next (headers, or the body after them).
    private func startRequestClock(_ context: ChannelHandlerContext) {
        requestDeadline?.cancel()
        requestDeadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: headerTimeout) {
            context.close(promise: nil)
        }
    }
}

/// Sits in front of the HTTP decoder and tells the ``ConnectionGuard`` when bytes arrive, so the
/// header clock of a kept-alive connection starts with the next request, not with the last response.
private final class FirstByteWatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let connectionGuard: ConnectionGuard

    init(guard connectionGuard: ConnectionGuard) {
        self.connectionGuard = connectionGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connectionGuard.bytesArrived()
        context.fireChannelRead(data)
    }
}

/// How many connections each client network holds, shared by every connection of the server.
final class ConnectionLimiter: Sendable {
    private let maximumPerNetwork: Int
    private let counts = Mutex<[String: Int]>([:])

    init(maximumPerNetwork: Int) {
        self.maximumPerNetwork = maximumPerNetwork
    }

    /// Counts a new connection from `network`; `false` (and nothing counted) when it holds the maximum.
    func open(_ network: String) -> Bool {
        counts.withLock { counts in
            guard counts[network, default: 0] < maximumPerNetwork else { return false }
            counts[network, default: 0] += 1
            return true
        }
    }

    /// Un-counts a connection from `network` that has closed.
    func closed(_ network: String) {
        counts.withLock { counts in
            let remaining = counts[network, default: 1] - 1
            counts[network] = remaining > 0 ? remaining : nil
        }
    }
}
