-- expect: lua-key-not-from-keys
redis.call('SET', ARGV[1], ARGV[2], 'EX', 60)
return 1
