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
// A Client sends requests on one CLIENT socket and is safe for any number
// of goroutines: each request has its own id, and one demultiplexer
// goroutine routes answers to the waiting calls. Put, Delete, Get and
// GetSeq (an iterator over the replies) take a context.Context for
// deadlines (a nil one is refused with an error matching
// socket.ErrInvalidInput); Watch follows the change feed of the storages a key
// expression reaches, through a DISH.
//
// Refusals come back as *proto.StatusError values, which match their
// status: errors.Is(err, proto.StatusReadOnly). A server describes itself
// under AdminKey (Client.Info); Watch uses that description to find the
// change feed and the storages a key expression reaches.
package store
