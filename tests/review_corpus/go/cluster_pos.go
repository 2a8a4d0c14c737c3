// expect: cluster-multikey-no-hashtag
package cache

import (
	"context"

	"github.com/redis/go-redis/v9"
)

var rdb = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{"node1:7000"}})

func Both(ctx context.Context, id string) ([]any, error) {
	return rdb.MGet(ctx, "user:profile:"+id, "user:settings:"+id).Result()
}
