// expect: unbounded-read
package broker

import (
	"context"

	"github.com/redis/go-redis/v9"
)

type Broker struct{ rclient *redis.Client }

func (b *Broker) GetPendingTasks(queue string) ([]string, error) {
	return b.rclient.LRange(context.Background(), queue, 0, -1).Result()
}
