// Package store is the client of zmesh's storage servers (package
// store/server), in the spirit of Zenoh's storage manager. Client and
// server speak the storage protocol (docs/storage-protocol.md, package
// proto) over zmesh sockets; keys and key expressions are package
// keyexpr's, timestamps package hlc's. A program that only talks to
// servers imports this package, which pulls in neither the server, nor
// its storage backends, nor YAML.
//
// # The client
//
// A Client sends requests on CLIENT sockets (one per endpoint) and is safe
// for any number of goroutines: each request has its own id, and the
// goroutine that reads an answer from the connection hands it to the call
// waiting for it. Put, Delete, Get and GetSeq (an iterator over the
// replies) take a context.Context for deadlines (a nil one is refused with
// an error matching socket.ErrInvalidInput); Watch follows the change feed
// of the storages a key expression reaches, through a DISH.
//
// Refusals come back as *proto.StatusError values, which match their
// status: errors.Is(err, proto.StatusReadOnly). A server describes itself
// under AdminKey (Client.Info); Watch uses that description to find the
// change feed and the storages a key expression reaches.
//
// # Connections and failover
//
// The Client follows each socket's monitor. A request goes to a server
// whose connection is up; when every endpoint's last attempt failed it
// fails at once with a *ConnError per endpoint, matching ErrUnreachable
// (refused, unknown host...) or ErrHandshake (mechanism mismatch, wrong
// server key, credentials denied), unless ClientOptions.WaitForServer.
// A deadline reached after the request went out says the server took it
// and did not answer. When a connection drops under a request, the
// request is sent again to a server that is up; with several endpoints
// the Client stamps its writes with its own clock, so that a retried
// write is the same write (docs/storage-server.md, "The client").
package store
