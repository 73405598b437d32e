package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// The old app's queries: what the code still serving knows of shop_order before any scenario's
// migration. Hand-written, with explicit column lists, the way Django's ORM writes them.
const (
	qSelect = `SELECT id, customer_id, product_id, quantity, created_at FROM shop_order WHERE id = $1`
	qInsert = `INSERT INTO shop_order (customer_id, product_id, quantity, created_at) VALUES ($1, $2, $3, now()) RETURNING id`
	qUpdate = `UPDATE shop_order SET quantity = $1 WHERE id = $2`
)

// queryTimeout bounds one query of the load, queueing for a connection included.
const queryTimeout = 2 * time.Minute

// sample is one query of the load.
type sample struct {
	// At is when the query was due, since the load started; Latency runs from then to its end,
	// so waiting for a free connection counts (an open-loop load: a stalled database does not
	// slow the arrivals down, as real users do not).
	At, Latency time.Duration
	Kind        string
	Err         string
}

// loadOptions shape the load generator.
type loadOptions struct {
	// Rate is the number of queries a second, all kinds together.
	Rate int
	// Conns is the size of the connection pool.
	Conns int
	// Orders, Customers, Products are the seeded row counts the queries pick ids from.
	Orders, Customers, Products int64
}

// load is a running load generator.
type load struct {
	start   time.Time
	pool    chan *pgx.Conn
	all     []*pgx.Conn
	stop    chan struct{}
	done    chan struct{}
	mu      sync.Mutex
	samples []sample
	wg      sync.WaitGroup
}

// startLoad opens the pool and starts issuing queries at the fixed rate.
func startLoad(ctx context.Context, dbURL string, o loadOptions) (*load, error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, err
	}
	// Django (psycopg) sends each query as text and prepares nothing on the server.
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	cfg.RuntimeParams["application_name"] = "old-app"
	l := &load{pool: make(chan *pgx.Conn, o.Conns), stop: make(chan struct{}), done: make(chan struct{})}
	for i := 0; i < o.Conns; i++ {
		c, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			l.close()
			return nil, fmt.Errorf("open load connection: %w", err)
		}
		l.all = append(l.all, c)
		// Warm the session (catalog caches), as a long-running app's pool is.
		if _, err := c.Exec(ctx, qSelect, 1); err != nil {
			l.close()
			return nil, fmt.Errorf("warm load connection: %w", err)
		}
		l.pool <- c
	}
	l.start = time.Now()
	interval := time.Second / time.Duration(o.Rate)
	go func() {
		defer close(l.done)
		for i := 0; ; i++ {
			due := l.start.Add(time.Duration(i) * interval)
			select {
			case <-l.stop:
				return
			case <-time.After(time.Until(due)):
			}
			l.wg.Add(1)
			go l.query(due, i, o)
		}
	}()
	return l, nil
}

// since is the offset of t from the load's start.
func (l *load) since(t time.Time) time.Duration { return t.Sub(l.start) }

func (l *load) query(due time.Time, i int, o loadOptions) {
	defer l.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	s := sample{At: due.Sub(l.start)}
	var err error
	var c *pgx.Conn
	select {
	case c = <-l.pool:
	case <-ctx.Done():
		err = errors.New("no free connection: " + ctx.Err().Error())
	}
	if c != nil {
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			s.Kind = "select"
			var id, cust, prod int64
			var qty int64
			var at time.Time
			err = c.QueryRow(ctx, qSelect, 1+rand.Int64N(o.Orders)).Scan(&id, &cust, &prod, &qty, &at)
			if errors.Is(err, pgx.ErrNoRows) {
				err = nil
			}
		case 6, 7:
			s.Kind = "insert"
			var id int64
			err = c.QueryRow(ctx, qInsert, 1+rand.Int64N(o.Customers), 1+rand.Int64N(o.Products), 1+rand.IntN(5)).Scan(&id)
		default:
			s.Kind = "update"
			_, err = c.Exec(ctx, qUpdate, 1+rand.IntN(5), 1+rand.Int64N(o.Orders))
		}
		l.pool <- c
	}
	s.Latency = time.Since(due)
	if err != nil {
		s.Err = err.Error()
	}
	l.mu.Lock()
	l.samples = append(l.samples, s)
	l.mu.Unlock()
}

// Stop stops issuing queries, waits for those in flight (each bounded by queryTimeout), closes
// the pool and returns every sample.
func (l *load) Stop() []sample {
	close(l.stop)
	<-l.done
	l.wg.Wait()
	l.close()
	return l.samples
}

func (l *load) close() {
	for _, c := range l.all {
		_ = c.Close(context.Background())
	}
}
