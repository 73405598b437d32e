module github.com/zdcd/zdcd

go 1.26.8

require (
	github.com/hashicorp/go-retryablehttp v0.7.8
	github.com/heroku/heroku-go/v5 v5.5.0
	github.com/jackc/pgx/v5 v5.12.0
	github.com/kelseyhightower/envconfig v1.4.0
	github.com/pganalyze/pg_query_go/v6 v6.2.5
	google.golang.org/protobuf v1.36.12
)

require (
	github.com/cenkalti/backoff v2.1.1+incompatible // indirect
	github.com/google/go-querystring v1.0.0 // indirect
	github.com/google/uuid v1.0.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/pborman/uuid v1.2.0 // indirect
	golang.org/x/text v0.41.0 // indirect
)
