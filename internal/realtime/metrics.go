package realtime

import "github.com/prometheus/client_golang/prometheus"

// metrics are the real-time figures exported at /metrics.
type metrics struct {
	refused   prometheus.Counter
	events    prometheus.Counter
	publishes prometheus.Counter
	cuts      prometheus.Counter // access re-checks: one per event whose row cuts access
	fanout    prometheus.Histogram
	delay     prometheus.Histogram
	closed    *prometheus.CounterVec // connections the broker cut, by reason
}

// Reasons the broker cuts a connection (parley_mqtt_connections_closed_total).
const (
	closedConnectTimeout = "connect_timeout" // no CONNECT within ConnectTimeout
	closedSlowConsumer   = "slow_consumer"   // outbound queue full: the client stopped reading
	closedTokenExpired   = "token_expired"   // its access token expired while connected
)

func newMetrics(reg prometheus.Registerer, b *Broker) *metrics {
	buckets := []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	m := &metrics{
		refused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_mqtt_logins_refused_total", Help: "MQTT connections refused for a bad username or token.",
		}),
		events: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_mqtt_events_published_total", Help: "Outbox events published to clients.",
		}),
		publishes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_mqtt_topic_publishes_total", Help: "Topic publishes made by the fan-out (one event reaches several topics).",
		}),
		cuts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_mqtt_access_cuts_total", Help: "Events (bans, removals, leaves, deletions) whose receivers' subscriptions were re-checked and cut.",
		}),
		fanout: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "parley_mqtt_fanout_seconds", Help: "Time to publish one event to all its topics.", Buckets: buckets,
		}),
		delay: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "parley_mqtt_event_delay_seconds", Help: "Time from an event's creation in its transaction to the end of its fan-out.", Buckets: buckets,
		}),
		closed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_mqtt_connections_closed_total", Help: "MQTT connections the broker cut: connect_timeout (no CONNECT in time), slow_consumer (outbound queue full).",
		}, []string{"reason"}),
	}
	for _, r := range []string{closedConnectTimeout, closedSlowConsumer, closedTokenExpired} {
		m.closed.WithLabelValues(r) // exported at 0 from the start
	}
	if reg != nil {
		reg.MustRegister(m.closed, m.refused, m.events, m.publishes, m.cuts, m.fanout, m.delay,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "parley_mqtt_clients_connected", Help: "MQTT clients connected now.",
			}, func() float64 { return float64(b.Connected()) }))
	}
	return m
}
