// Each build prints the capacity-trap warning once, though both goals read the plan: the first
// when it checks it, the second (everything up to date) from the cache.
def log = new File(basedir, 'build.log').text
def lines = log.readLines().findAll { it =~ /^\[WARNING\] src\/main\/plans\/trap\.plan:\d+:\d+: warning\[SP0403\]/ }
assert lines.size() == 2 : "expected the warning once in each of the two builds, found ${lines.size()}:\n${lines.join('\n')}"
def builds = log.split(/BUILD SUCCESS/)
assert builds.size() >= 2
assert builds[0].count('warning[SP0403]') == 1 && builds[1].count('warning[SP0403]') == 1
assert log.contains('[INFO] shardplan: compiled src/main/plans/trap.plan: plan trap -> target/generated-resources/shardplan/trap')
return true
