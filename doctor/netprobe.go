package doctor

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// NetProbe is the outcome of probing a provider host step by step. Each step that was not
// reached stays empty; the first failing step names the layer that is broken.
type NetProbe struct {
	Host    string        `json:"host"`
	Port    string        `json:"port"`
	Steps   []ProbeStep   `json:"steps"`
	Skew    time.Duration `json:"skew,omitempty"` // provider clock minus local clock
	HasSkew bool          `json:"has_skew"`       // Skew was measured (the server sent Date)
}

// ProbeStep is one layer: dns, tcp, tls, http.
type ProbeStep struct {
	Layer    string        `json:"layer"`
	OK       bool          `json:"ok"`
	Detail   string        `json:"detail"`
	Duration time.Duration `json:"duration"`
}

// Failed returns the first failed step, if any.
func (p NetProbe) Failed() (ProbeStep, bool) {
	for _, s := range p.Steps {
		if !s.OK {
			return s, true
		}
	}
	return ProbeStep{}, false
}

// Prober really talks to the network with short timeouts. Tests point it at loopback
// servers; Resolver and Dial can be replaced to reproduce DNS failures.
type Prober struct {
	Timeout  time.Duration // per step; default 3 s
	Resolver *net.Resolver
	// TLSConfig is used for the TLS step (tests trust their own test CA here).
	TLSConfig *tls.Config
	Now       func() time.Time
}

func (p *Prober) timeout() time.Duration {
	if p == nil || p.Timeout <= 0 {
		return 3 * time.Second
	}
	return p.Timeout
}

// Probe resolves, connects, handshakes (for https) and sends one HEAD request to rawURL,
// comparing the server's Date header with the local clock.
func (p *Prober) Probe(ctx context.Context, rawURL string) NetProbe {
	var out NetProbe
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		out.Steps = append(out.Steps, ProbeStep{Layer: "url", Detail: fmt.Sprintf("not a usable URL: %q", rawURL)})
		return out
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	out.Host, out.Port = host, port
	to := p.timeout()
	now := time.Now
	if p != nil && p.Now != nil {
		now = p.Now
	}

	// DNS
	start := time.Now()
	var addrs []string
	if ip := net.ParseIP(host); ip != nil {
		addrs = []string{host}
		out.Steps = append(out.Steps, ProbeStep{Layer: "dns", OK: true, Detail: host + " is an IP address (no lookup needed)"})
	} else {
		res := net.DefaultResolver
		if p != nil && p.Resolver != nil {
			res = p.Resolver
		}
		dctx, cancel := context.WithTimeout(ctx, to)
		addrs, err = res.LookupHost(dctx, host)
		cancel()
		step := ProbeStep{Layer: "dns", Duration: time.Since(start)}
		if err != nil || len(addrs) == 0 {
			step.Detail = fmt.Sprintf("cannot resolve %s: %s", host, netErrText(err))
			out.Steps = append(out.Steps, step)
			return out
		}
		step.OK = true
		step.Detail = fmt.Sprintf("%s resolves to %s", host, strings.Join(addrs, ", "))
		out.Steps = append(out.Steps, step)
	}

	// TCP
	start = time.Now()
	d := net.Dialer{Timeout: to}
	conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(addrs[0], port))
	step := ProbeStep{Layer: "tcp", Duration: time.Since(start)}
	if err != nil {
		step.Detail = fmt.Sprintf("cannot connect to %s port %s: %s", host, port, netErrText(err))
		out.Steps = append(out.Steps, step)
		return out
	}
	step.OK = true
	step.Detail = fmt.Sprintf("connected to %s port %s", addrs[0], port)
	out.Steps = append(out.Steps, step)

	// TLS
	if u.Scheme == "https" {
		start = time.Now()
		cfg := &tls.Config{ServerName: host}
		if p != nil && p.TLSConfig != nil {
			cfg = p.TLSConfig.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName = host
			}
		}
		tc := tls.Client(conn, cfg)
		tc.SetDeadline(time.Now().Add(to))
		err := tc.HandshakeContext(ctx)
		step := ProbeStep{Layer: "tls", Duration: time.Since(start)}
		if err != nil {
			step.Detail = fmt.Sprintf("TLS handshake with %s failed: %s", host, netErrText(err))
			out.Steps = append(out.Steps, step)
			conn.Close()
			return out
		}
		step.OK = true
		step.Detail = fmt.Sprintf("TLS %s with %s, certificate valid", tlsVersion(tc.ConnectionState().Version), host)
		out.Steps = append(out.Steps, step)
	} else {
		out.Steps = append(out.Steps, ProbeStep{Layer: "tls", OK: true, Detail: "plain http: no TLS to check"})
	}
	conn.Close()

	// HTTP + Date header for clock skew.
	start = time.Now()
	tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: host}, DisableKeepAlives: true}
	if p != nil && p.TLSConfig != nil {
		tr.TLSClientConfig = p.TLSConfig.Clone()
	}
	client := &http.Client{Timeout: to, Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodHead, u.Scheme+"://"+u.Host+"/", nil)
	before := now()
	resp, err := client.Do(req)
	after := now()
	step = ProbeStep{Layer: "http", Duration: time.Since(start)}
	if err != nil {
		step.Detail = fmt.Sprintf("HTTP request to %s failed: %s", host, netErrText(err))
		out.Steps = append(out.Steps, step)
		return out
	}
	resp.Body.Close()
	step.OK = true
	step.Detail = fmt.Sprintf("%s answered HTTP %d", host, resp.StatusCode)
	out.Steps = append(out.Steps, step)
	if date, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		local := before.Add(after.Sub(before) / 2)
		out.Skew = date.Sub(local.Truncate(time.Second))
		out.HasSkew = true
	}
	return out
}

func netErrText(err error) string {
	if err == nil {
		return "no address"
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		switch {
		case dnsErr.IsNotFound:
			return "no such host"
		case dnsErr.IsTimeout:
			return "DNS lookup timed out"
		}
		return dnsErr.Err
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return "certificate not trusted (" + certErr.Err.Error() + "); a proxy or antivirus may be intercepting HTTPS"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}

func tlsVersion(v uint16) string {
	switch v {
	case tls.VersionTLS13:
		return "1.3"
	case tls.VersionTLS12:
		return "1.2"
	}
	return fmt.Sprintf("0x%x", v)
}

// MaxClockSkew is how far the local clock may drift before sign-ins and signed requests
// start failing (OAuth token lifetimes and Kerberos-style checks tolerate about five minutes).
const MaxClockSkew = 5 * time.Minute
