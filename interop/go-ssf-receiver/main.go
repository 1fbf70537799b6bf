// A Shared Signals receiver the engine's authors did not write the parsing of: SGNL's
// caep.dev/secevent library (MIT) verifies and parses every SET the engine pushes here, against
// the engine's JWKS, issuer and the stream's audience. The engine's tests start it and read what
// it printed: one JSON line per SET (its type, subject format, or why the library refused it).
//
// The library parses CAEP and SSF events; it has no RISC parsers, so RISC event types are
// registered here with a pass-through parser (the SET itself — signature, claims, subject — is
// still checked by the library).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"

	"github.com/sgnl-ai/caep.dev/secevent/pkg/event"
	"github.com/sgnl-ai/caep.dev/secevent/pkg/parser"
)

type riscEvent struct {
	event.BaseEvent
	raw json.RawMessage
}

func (e *riscEvent) Validate() error      { return nil }
func (e *riscEvent) Payload() interface{} { return e.raw }

const risc = "https://schemas.openid.net/secevent/risc/event-type/"

func main() {
	jwks := flag.String("jwks", "", "the transmitter's JWKS URL")
	issuer := flag.String("issuer", "", "the transmitter's issuer")
	audience := flag.String("audience", "", "this receiver's audience")
	flag.Parse()

	for _, name := range []string{"account-disabled", "account-enabled", "credential-compromise"} {
		t := event.EventType(risc + name)
		event.RegisterEventParser(t, func(data []byte) (event.Event, error) {
			e := &riscEvent{raw: data}
			e.SetType(t)
			return e, nil
		})
	}
	p := parser.NewParser(
		parser.WithJWKSURL(*jwks),
		parser.WithExpectedIssuer(*issuer),
		parser.WithExpectedAudience(*audience),
	)

	var out sync.Mutex
	report := func(v map[string]interface{}) {
		out.Lock()
		defer out.Unlock()
		line, _ := json.Marshal(v)
		fmt.Println(string(line))
	}
	http.HandleFunc("/events", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil || r.Method != http.MethodPost {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		set, err := p.ParseSecEvent(string(body))
		if err != nil {
			report(map[string]interface{}{"ok": false, "error": err.Error()})
			w.Header().Set("content-type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]string{"err": "invalid_request", "description": err.Error()})
			return
		}
		report(map[string]interface{}{
			"ok":      true,
			"jti":     set.ID,
			"type":    string(set.Event.Type()),
			"subject": string(set.Subject.Format()),
		})
		w.WriteHeader(http.StatusAccepted)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	report(map[string]interface{}{"listening": "http://" + ln.Addr().String() + "/events"})
	if err := http.Serve(ln, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
