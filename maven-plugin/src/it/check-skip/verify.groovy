// skip=true: the goal runs, says it was skipped and does not look at the (bad) plan.
def log = new File(basedir, 'build.log').text
assert log.contains('[INFO] shardplan: check skipped')
assert !log.contains('error[SP')
assert !new File(basedir, 'target/shardplan/check-cache.json').exists()
return true
