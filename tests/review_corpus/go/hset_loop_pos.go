// expect: loop-no-pipeline
package cache

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func SaveAll(ctx context.Context, rdb *redis.Client, users map[string]string) {
	for id, name := range users {
		rdb.HSet(ctx, "user:profile:"+id, "name", name)
	}
}
