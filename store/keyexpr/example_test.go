package keyexpr_test

import (
	"errors"
	"fmt"

	"github.com/zmesh/zmesh/store/keyexpr"
)

func Example() {
	query := "demo/**/temp"
	for _, key := range []string{"demo/temp", "demo/b3/sensor/temp", "demo/b3/humidity", "demo/@admin/temp"} {
		fmt.Println(key, keyexpr.Intersects(query, key))
	}
	// Output:
	// demo/temp true
	// demo/b3/sensor/temp true
	// demo/b3/humidity false
	// demo/@admin/temp false
}

func ExampleValidate() {
	err := keyexpr.Validate("demo//temp")
	fmt.Println(err)
	fmt.Println(errors.Is(err, keyexpr.ErrInvalid), errors.Is(err, keyexpr.ErrEmptyChunk))
	// Output:
	// invalid key expression "demo//temp": empty chunk at byte 5
	// true true
}

func ExampleCanonize() {
	c, err := keyexpr.Canonize("demo/**/**/$*/x$*$*")
	fmt.Println(c, err)
	// Output: demo/*/**/x$* <nil>
}

func ExampleIncludes() {
	fmt.Println(keyexpr.Includes("demo/*/**", "demo/b3/**"))
	fmt.Println(keyexpr.Includes("demo/*/**", "demo/**")) // "demo/**" also matches "demo"
	// Output:
	// true
	// false
}

func ExampleLiteralPrefix() {
	// A backend lists objects under this prefix, then filters with
	// Intersects.
	fmt.Printf("%q\n", keyexpr.LiteralPrefix("demo/example/*/temp"))
	fmt.Printf("%q\n", keyexpr.LiteralPrefix("**/temp"))
	// Output:
	// "demo/example"
	// ""
}

func ExampleStripPrefix() {
	// A storage with strip_prefix "demo/example" answering a query.
	rests, withPrefix := keyexpr.StripPrefix("demo/**/sensor/*", "demo/example")
	fmt.Println(rests, withPrefix)
	rests, withPrefix = keyexpr.StripPrefix("demo/example/**", "demo/example")
	fmt.Println(rests, withPrefix)
	// Output:
	// [**/sensor/*] false
	// [**] true
}

func ExampleStripKey() {
	rest, ok := keyexpr.StripKey("demo/example/a/b", "demo/example")
	fmt.Printf("%q %v\n", rest, ok)
	rest, ok = keyexpr.StripKey("demo/example", "demo/example") // the empty key
	fmt.Printf("%q %v\n", rest, ok)
	// Output:
	// "a/b" true
	// "" true
}

func ExampleParameters() {
	ke, params := keyexpr.SplitSelector("demo/**?limit=10;fields=a|b;verbose")
	limit, _ := params.Get("limit")
	_, verbose := params.Get("verbose")
	fmt.Println(ke, limit, params.Values("fields"), verbose)
	// Output: demo/** 10 [a b] true
}

func ExampleNew() {
	k, err := keyexpr.New("demo/**/*")
	fmt.Println(k, err)
	k, err = keyexpr.Autocanonize("demo/**/*")
	fmt.Println(k, err)
	// Output:
	// invalid key expression "demo/**/*": "**/*" must be written "*/**" at byte 8
	// demo/*/** <nil>
}
