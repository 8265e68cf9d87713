// Command radio-dish publishes to groups with a RADIO and receives the
// groups it joined with a DISH, over tcp and over udp.
//
// Over tcp the dish tells the radio which groups it joined, and the radio
// sends each message only to the dishes of its group. Over udp the dish
// binds a port, the radio connects (sends) to it, and the dish filters
// groups itself. Either way the dish gets weather, never sports.
//
// A radio drops what it sends before a dish has joined (and udp may lose
// datagrams), so the program keeps transmitting until the dish has heard
// three weather reports.
//
//	go run ./examples/radio-dish
package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/zmesh/zmesh/examples/internal/cmdline"
	"github.com/zmesh/zmesh/patterns"
	"github.com/zmesh/zmesh/socket"
)

func main() { cmdline.Main("radio-dish", 30*time.Second, run) }

func run(ctx context.Context) error {
	zctx := socket.NewCtx(nil)
	defer zctx.Close()

	// tcp: the radio binds, the dish connects.
	radio, dish, err := pair(zctx)
	if err != nil {
		return err
	}
	if err := radio.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	endpoint, _ := radio.LastEndpoint()
	if err := dish.Connect(endpoint); err != nil {
		return err
	}
	if err := broadcast(ctx, radio, dish, "tcp"); err != nil {
		return err
	}

	// udp: the dish binds, the radio connects.
	radio, dish, err = pair(zctx)
	if err != nil {
		return err
	}
	if err := dish.Bind("udp://127.0.0.1:*"); err != nil {
		return err
	}
	endpoint, _ = dish.LastEndpoint()
	if err := radio.Connect(endpoint); err != nil {
		return err
	}
	return broadcast(ctx, radio, dish, "udp")
}

// pair returns a radio, and a dish that joined the weather group.
func pair(zctx *socket.Ctx) (*patterns.Radio, *patterns.Dish, error) {
	radio, err := patterns.NewRadio(zctx, socket.Options{}, patterns.RadioOptions{})
	if err != nil {
		return nil, nil, err
	}
	dish, err := patterns.NewDish(zctx, socket.Options{})
	if err != nil {
		return nil, nil, err
	}
	return radio, dish, dish.Join("weather")
}

// broadcast transmits a sports result and a weather report every 10ms
// until the dish has received three weather reports, and fails if it ever
// receives sports.
func broadcast(ctx context.Context, radio *patterns.Radio, dish *patterns.Dish, via string) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	got := 0
	for n := 1; got < 3; n++ {
		if err := radio.Transmit(ctx, fmt.Appendf(nil, "score %d-0", n), "sports"); err != nil {
			return err
		}
		if err := radio.Transmit(ctx, fmt.Appendf(nil, "rain, %d mm", n), "weather"); err != nil {
			return err
		}
		for {
			m, err := dish.TryRecv()
			if errors.Is(err, socket.ErrWouldBlock) {
				break
			}
			if err != nil {
				return err
			}
			if m.Group != "weather" {
				return fmt.Errorf("dish (%s) received group %q, which it did not join", via, m.Group)
			}
			fmt.Printf("dish (%s): %s: %s\n", via, m.Group, m.Body)
			got++
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("dish (%s) heard %d reports: %w", via, got, ctx.Err())
		}
	}
	return nil
}
