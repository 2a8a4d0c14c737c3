// expect: keys-command
package cache

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func ActiveSessions(ctx context.Context, rdb *redis.Client) ([]string, error) {
	return rdb.Keys(ctx, "session:*").Result()
}
