// expect: none
package cache

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestProfiles(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6390"})
	rdb.FlushDB(context.Background())
	keys, _ := rdb.Keys(context.Background(), "*").Result()
	if len(keys) != 0 {
		t.Fatal(keys)
	}
}
