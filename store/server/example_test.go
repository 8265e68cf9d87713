package server_test

import (
	"fmt"

	"github.com/zmesh/zmesh/store/server"
)

// Loading a configuration file and handling its errors.
func ExampleParseConfig() {
	_, err := server.ParseConfig("zmesh.yaml", []byte(`
storages:
  demo:
    key_expr: demo/**
    strip_prefix: dem
    volume: memory
`))
	fmt.Println(err)
	// Output:
	// zmesh.yaml:5:19: storages.demo.strip_prefix: strip_prefix "dem" does not prefix every key of key_expr "demo/**" (it must be whole chunks of key_expr's literal start)
}
