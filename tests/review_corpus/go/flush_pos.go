// expect: flush-outside-tests
package admin

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func ResetCaches(ctx context.Context, rdb *redis.Client) error {
	return rdb.FlushAll(ctx).Err()
}
