package heroku

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// DataTimeLayout is the layout of every timestamp of the Heroku Postgres backups ("Data") API:
// "2018-03-03 21:07:42 +0000", not RFC 3339 (HEROKU.md §5.3, from recorded responses of capture,
// info and restore and the Heroku CLI's fixtures for api.data.heroku.com). The Platform API, by
// contrast, sends RFC 3339.
const DataTimeLayout = "2006-01-02 15:04:05 -0700"

// dataTime is a Data API timestamp on the wire: the text as sent (or null), parsed by time with
// the field's name so that an error says which field and which value did not parse. It accepts
// DataTimeLayout, RFC 3339 (should the service ever switch) and null.
type dataTime struct {
	raw  string
	null bool
	set  bool
}

func (d *dataTime) UnmarshalJSON(b []byte) error {
	d.set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		d.null = true
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		// A number or an object: keep its text for the error time gives.
		d.raw = string(b)
		return nil
	}
	d.raw = s
	return nil
}

// parseDataTime reads a Data API timestamp in DataTimeLayout, or RFC 3339.
func parseDataTime(s string) (time.Time, error) {
	if t, err := time.Parse(DataTimeLayout, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("expected a time such as %q (or RFC 3339)", "2018-03-03 21:07:42 +0000")
}

// time returns the timestamp, nil when null or absent. field names it in the error.
func (d dataTime) time(field string) (*time.Time, error) {
	if !d.set || d.null {
		return nil, nil
	}
	t, err := parseDataTime(d.raw)
	if err != nil {
		//lint:ignore ST1005 "Data API" is a proper name
		return nil, fmt.Errorf("Data API field %s = %q does not parse: %v", field, truncate(d.raw, 60), err)
	}
	return &t, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// transferURL is a transfer's from_url or to_url on the wire, kept only when it is not a
// database URL: a backup's from_url and a restore's to_url are the database URL with its password
// (HEROKU.md §5.3, the recorded restore response), which the client must never keep, log or
// print. So a postgres:// URL is dropped while decoding; only its absence is remembered.
type transferURL struct {
	url string
	// dropped is true when the field held a database URL.
	dropped bool
}

func (u *transferURL) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil || s == nil {
		// Not a string: nothing to keep (and nothing to quote in an error).
		return nil
	}
	if isDatabaseURL(*s) {
		u.dropped = true
		return nil
	}
	u.url = *s
	return nil
}

// isDatabaseURL reports whether s is (or looks like) a database URL, which may carry a password.
func isDatabaseURL(s string) bool {
	p, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		// Unparsable text may still hold a password: treat it as a database URL.
		return true
	}
	switch strings.ToLower(p.Scheme) {
	case "http", "https", "file", "":
		return p.User != nil && p.Scheme != ""
	}
	return true
}
