// expect: none
package worker

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func Run(ctx context.Context, rdb *redis.Client, handle func(string)) {
	for {
		res, err := rdb.BLPop(ctx, 0, "queue:jobs").Result()
		if err != nil {
			return
		}
		handle(res[1])
	}
}
