// expect: select-nonzero-db
package cache

import "github.com/redis/go-redis/v9"

var Sessions = redis.NewClient(&redis.Options{Addr: "cache:6379", DB: 4})
