// expect: loop-no-pipeline
package cache

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func Profiles(ctx context.Context, rdb *redis.Client, ids []string) map[string]string {
	out := map[string]string{}
	for _, id := range ids {
		out[id], _ = rdb.Get(ctx, "user:profile:"+id).Result()
	}
	return out
}
