import CoreMetrics
import Metrics
import Prometheus

/// The chat server's metrics, recorded through swift-metrics into a Prometheus registry that
/// belongs to this server instance (so many servers can run in one process, as the tests
/// do). `main` may additionally bootstrap the global `MetricsSystem` with ``factory`` so
/// that libraries' own metrics land in the same registry.
///
/// Thread safety: the registry and the metric handlers are thread-safe; safe to share across tasks.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` renders.
    public let registry: PrometheusCollectorRegistry
    /// A swift-metrics factory writing into ``registry``.
    public let factory: PrometheusMetricsFactory

    let realtimeConnections: CoreMetrics.Gauge
    let deliveries: CoreMetrics.Counter
    let sendLatency: CoreMetrics.Timer
    let jobQueueLag: CoreMetrics.Gauge
    let rateLimitRejections: CoreMetrics.Counter
    let requests: CoreMetrics.Counter

    /// Makes a registry and the server's metrics in it.
    public init() {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets["chat_send_duration_seconds"] = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(1000),
        ]
        self.registry = registry
        self.factory = factory
        realtimeConnections = CoreMetrics.Gauge(label: "chat_realtime_connections", factory: factory)
        deliveries = CoreMetrics.Counter(label: "chat_deliveries_total", factory: factory)
        sendLatency = CoreMetrics.Timer(label: "chat_send_duration_seconds", factory: factory)
        jobQueueLag = CoreMetrics.Gauge(label: "chat_job_queue_lag_seconds", factory: factory)
        rateLimitRejections = CoreMetrics.Counter(label: "chat_rate_limit_rejections_total", factory: factory)
        requests = CoreMetrics.Counter(label: "chat_http_requests_total", factory: factory)
        // Present from the first scrape, at zero.
        realtimeConnections.record(0)
        jobQueueLag.record(0)
        deliveries.increment(by: 0)
        rateLimitRejections.increment(by: 0)
        requests.increment(by: 0)
    }

    /// Counts an error answer by its stable code (the counter is made on first use and kept by the registry).
    func recordError(code: String, status: Int) {
        CoreMetrics.Counter(label: "chat_errors_total", dimensions: [("code", code), ("status", String(status))], factory: factory)
            .increment()
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> String {
        registry.emitToString()
    }
}
