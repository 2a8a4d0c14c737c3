// expect: none
package events

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func Publish(ctx context.Context, rdb *redis.Client, id string) error {
	return rdb.XAdd(ctx, &redis.XAddArgs{Stream: "events:orders", MaxLen: 100000, Approx: true,
		Values: map[string]any{"id": id}}).Err()
}
