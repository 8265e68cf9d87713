// Package httpapi is the HTTP face of a storage server (server.Server),
// modelled on Zenoh's REST plugin (GET, PUT and DELETE on /<key
// expression>, answers as a JSON list of samples), with health,
// Prometheus metrics and Zenoh-like runtime management added.
// docs/http.md describes every route, JSON shape and status code.
//
// A Handler serves:
//
//   - GET /<key expression>: a JSON array of {key, value, encoding,
//     timestamp}, sorted by key (see RenderValue for how values are
//     shown); with ?_raw the first value alone, as stored, with its
//     encoding as Content-Type.
//   - PUT /<key>: stores the body under the key, encoding = Content-Type
//     (DefaultEncoding if absent); 200 once the server has acknowledged
//     it, never before.
//   - DELETE /<key expression>: deletes the key, or every key matching.
//   - GET /<key expression> with Accept: text/event-stream: the changes of
//     the matching keys as server-sent events, named PUT or DELETE, data
//     an EventChange (sse.go); bounded per client, heartbeats, ended by
//     CloseStreams at shutdown.
//   - GET / with Accept: text/html: the status page (status.go,
//     static/status.html, embedded), and GET /@status its figures (Status).
//   - GET /health: 200 when every storage's backend is healthy, 503 naming
//     those that are not (server.HealthReport).
//   - GET /metrics: the server's and the HTTP face's metrics, with the Go
//     runtime's and the process's (prometheus/client_golang collectors),
//     in the Prometheus text format 0.0.4.
//   - /@admin/...: list, add, replace and remove storages and volumes
//     (see admin.go), only with a bearer token (Options.AdminToken); bodies
//     are JSON or JSON5.
//
// Requests go through server.Server.Do, the path socket requests take, so
// last-writer-wins, timestamps, the change feed, statistics and metrics
// are the same whichever face a request comes in by. Refusals map to HTTP
// status codes with HTTPStatus: 4xx for what the caller must fix, 503 when
// a backend failed (the write was not acknowledged) or the server is busy,
// 504 on a timeout. Every error body is {"error": "...", "status": "..."}.
//
// Serve runs a Handler on a listener with timeouts set and shuts it down
// gracefully when its context ends; `zmesh serve --http` uses both.
package httpapi
