// expect: none
package cache

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func Profiles(ctx context.Context, rdb *redis.Client, ids []string) ([]redis.Cmder, error) {
	return rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for _, id := range ids {
			pipe.Get(ctx, "user:profile:"+id)
		}
		return nil
	})
}
