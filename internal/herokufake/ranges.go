package herokufake

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

const (
	defaultPageSize = 200
	maxPageSize     = 1000
)

// listRange is a parsed Range header (§2.5): `<field> [start]..[end][; max=N[, order=asc|desc]]`.
type listRange struct {
	field              string
	start, end         string
	startExcl, endExcl bool
	max                int
	desc               bool
}

func parseRange(h, defaultField string) (listRange, error) {
	lr := listRange{field: defaultField, max: defaultPageSize}
	if strings.TrimSpace(h) == "" {
		return lr, nil
	}
	head, params, _ := strings.Cut(h, ";")
	head = strings.TrimSpace(head)
	if i := strings.IndexByte(head, ' '); i >= 0 {
		lr.field, head = head[:i], strings.TrimSpace(head[i+1:])
	} else if !strings.Contains(head, "..") {
		lr.field, head = head, ".."
	} else {
		lr.field = "id"
	}
	if lr.field == "" {
		lr.field = "id"
	}
	start, end, ok := strings.Cut(head, "..")
	if !ok {
		return lr, fmt.Errorf("range %q has no `..`", h)
	}
	if strings.HasPrefix(start, "]") {
		lr.startExcl, start = true, start[1:]
	}
	if strings.HasSuffix(end, "[") {
		lr.endExcl, end = true, end[:len(end)-1]
	}
	lr.start, lr.end = start, end
	for _, p := range strings.FieldsFunc(params, func(r rune) bool { return r == ';' || r == ',' }) {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		switch strings.TrimSpace(k) {
		case "max":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < 1 {
				return lr, fmt.Errorf("invalid max in range %q", h)
			}
			lr.max = min(n, maxPageSize)
		case "order":
			switch strings.TrimSpace(v) {
			case "asc":
				lr.desc = false
			case "desc":
				lr.desc = true
			default:
				return lr, fmt.Errorf("invalid order in range %q", h)
			}
		}
	}
	return lr, nil
}

// rangeValue is one item's value of a sortable attribute.
type rangeValue struct {
	num   int
	str   string
	isNum bool
}

func (a rangeValue) less(b rangeValue) bool {
	if a.isNum {
		return a.num < b.num
	}
	return a.str < b.str
}

func (a rangeValue) String() string {
	if a.isNum {
		return strconv.Itoa(a.num)
	}
	return a.str
}

func parseValue(s string, isNum bool) (rangeValue, bool) {
	if !isNum {
		return rangeValue{str: s}, true
	}
	n, err := strconv.Atoi(s)
	return rangeValue{num: n, isNum: true}, err == nil
}

// paginate orders and cuts a list per the request's Range header, sets Accept-Ranges,
// Content-Range and Next-Range, and returns 200, or 206 when more remain. key gives item i's
// value of a field; fields are the sortable attributes, the first being the default.
func paginate[T any](w http.ResponseWriter, r *http.Request, items []T, fields []string, key func(T, string) rangeValue) (int, any, *apiError) {
	w.Header().Set("Accept-Ranges", strings.Join(fields, ", "))
	lr, err := parseRange(r.Header.Get("Range"), fields[0])
	bad := func(msg string) (int, any, *apiError) {
		return 0, nil, &apiError{Status: http.StatusRequestedRangeNotSatisfiable, ID: "requested_range_not_satisfiable", Message: msg}
	}
	if err != nil {
		return bad(err.Error())
	}
	known := false
	for _, f := range fields {
		known = known || f == lr.field
	}
	if !known {
		return bad(fmt.Sprintf("Range field %q is not one of %s.", lr.field, strings.Join(fields, ", ")))
	}
	sorted := append([]T(nil), items...)
	sort.SliceStable(sorted, func(i, j int) bool {
		a, b := key(sorted[i], lr.field), key(sorted[j], lr.field)
		if lr.desc {
			return b.less(a)
		}
		return a.less(b)
	})
	isNum := len(items) > 0 && key(items[0], lr.field).isNum
	var out []T
	// In the order of the list, skip items before start and stop after end.
	before := func(v, bound rangeValue) bool { // v comes before bound in list order
		if lr.desc {
			return bound.less(v)
		}
		return v.less(bound)
	}
	for _, it := range sorted {
		v := key(it, lr.field)
		if lr.start != "" {
			b, ok := parseValue(lr.start, isNum)
			if !ok {
				return bad(fmt.Sprintf("Invalid range start %q.", lr.start))
			}
			if before(v, b) || (lr.startExcl && !before(b, v)) {
				continue
			}
		}
		if lr.end != "" {
			b, ok := parseValue(lr.end, isNum)
			if !ok {
				return bad(fmt.Sprintf("Invalid range end %q.", lr.end))
			}
			if before(b, v) || (lr.endExcl && !before(v, b)) {
				continue
			}
		}
		out = append(out, it)
	}
	status := http.StatusOK
	if len(out) > lr.max {
		out = out[:lr.max]
		next := fmt.Sprintf("%s ]%s..", lr.field, key(out[len(out)-1], lr.field))
		if lr.end != "" {
			next += lr.end
			if lr.endExcl {
				next += "["
			}
		}
		next += fmt.Sprintf("; max=%d", lr.max)
		if lr.desc {
			next += ", order=desc"
		}
		w.Header().Set("Next-Range", next)
		status = http.StatusPartialContent
	}
	if len(out) > 0 {
		w.Header().Set("Content-Range", fmt.Sprintf("%s %s..%s", lr.field, key(out[0], lr.field), key(out[len(out)-1], lr.field)))
	}
	if out == nil {
		out = []T{}
	}
	return status, out, nil
}
