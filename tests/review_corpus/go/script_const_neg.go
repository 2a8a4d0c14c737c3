// expect: none
package cache

import (
	"context"

	"github.com/redis/go-redis/v9"
)

var rateLimit = redis.NewScript(`
local current = redis.call('INCR', KEYS[1])
if current == 1 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return current
`)

func Hit(ctx context.Context, rdb *redis.Client, ip string) (int, error) {
	return rateLimit.Run(ctx, rdb, []string{"rate:limit:ip:" + ip}, 60).Int()
}
