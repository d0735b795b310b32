// The first build checks the plan; the second, with nothing changed, checks nothing.
def log = new File(basedir, 'build.log').text
def first = log.indexOf('[INFO] shardplan: checked 1 file')
def second = log.indexOf('[INFO] shardplan: nothing to check, 1 file up to date')
assert first >= 0 : 'the first build did not check the plan'
assert second > first : 'the second build did not report that nothing was checked'
assert log.count('shardplan: checked') == 1
def cache = new File(basedir, 'target/shardplan/check-cache.json').text
assert cache.contains('"src/main/plans/good.plan"')
return true
