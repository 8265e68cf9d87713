package httpapi_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/zmesh/zmesh/store/httpapi"
)

// Following changes as server-sent events, as a browser's EventSource or
// `curl -N -H 'Accept: text/event-stream'` does: each event is named by
// its kind and carries the sample as JSON.
func Example_events() {
	srv, closeServer := exampleServer("inproc://example-events")
	defer closeServer()
	h := httpapi.NewHandler(srv, httpapi.Options{Logger: slog.New(slog.DiscardHandler)})
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer h.CloseStreams() // before hs.Close, which waits for the stream

	req, _ := http.NewRequest("GET", hs.URL+"/demo/**", nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Scan() // "retry: 2000": subscribed from here on

	for _, do := range []struct{ method, key, body string }{
		{"PUT", "demo/greeting", "Hello"},
		{"DELETE", "demo/greeting", ""},
	} {
		r, _ := http.NewRequest(do.method, hs.URL+"/"+do.key, strings.NewReader(do.body))
		r.Header.Set("Content-Type", "text/plain")
		answer, err := http.DefaultClient.Do(r)
		if err != nil {
			panic(err)
		}
		answer.Body.Close()
	}
	for n := 0; n < 2 && lines.Scan(); {
		line := lines.Text()
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var ev httpapi.EventChange
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				panic(err)
			}
			fmt.Printf("  %s = %s in %s\n", ev.Key, ev.Value, ev.Storage)
			n++
		} else if line != "" && !strings.HasPrefix(line, ":") {
			fmt.Println(line)
		}
	}
	// Output:
	// event: PUT
	//   demo/greeting = "Hello" in demo
	// event: DELETE
	//   demo/greeting = null in demo
}
