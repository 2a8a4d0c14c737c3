// expect: none
package store

import (
	"context"

	"github.com/redis/go-redis/v9"
)

type Store struct{ rdb *redis.Client }

func NewStore(addr string) *Store {
	return &Store{rdb: redis.NewClient(&redis.Options{Addr: addr, PoolSize: 20, MinIdleConns: 5})}
}

func (s *Store) Name(ctx context.Context, id string) (string, error) {
	return s.rdb.HGet(ctx, "user:profile:"+id, "name").Result()
}
