// expect: unbounded-read
package cache

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func Profile(ctx context.Context, rdb *redis.Client, id string) (map[string]string, []string) {
	fields, _ := rdb.HGetAll(ctx, "user:profile:"+id).Result()
	feed, _ := rdb.LRange(ctx, "feed:user:"+id, 0, -1).Result()
	return fields, feed
}
