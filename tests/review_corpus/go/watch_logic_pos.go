// expect: multi-exec-logic
package bank

import (
	"context"

	"github.com/redis/go-redis/v9"
)

func Withdraw(ctx context.Context, rdb *redis.Client, key string, amount int) error {
	return rdb.Watch(ctx, func(tx *redis.Tx) error {
		balance, err := tx.Get(ctx, key).Int()
		if err != nil && err != redis.Nil {
			return err
		}
		if balance < amount {
			return errInsufficient
		}
		_, err = tx.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			pipe.DecrBy(ctx, key, int64(amount))
			return nil
		})
		return err
	}, key)
}
