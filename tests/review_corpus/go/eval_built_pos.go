// expect: eval-built-script
package cache

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
)

func Bump(ctx context.Context, rdb *redis.Client, key, field string) error {
	script := fmt.Sprintf("return redis.call('HINCRBY', KEYS[1], '%s', 1)", field)
	return rdb.Eval(ctx, script, []string{key}).Err()
}
