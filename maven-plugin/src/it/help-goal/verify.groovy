// The help goal lists every goal, and with -Ddetail -Dgoal=compile the compile goal's
// parameters with the text of their Javadoc.
def log = new File(basedir, 'build.log').text
assert log.contains('shardplan:check') && log.contains('shardplan:compile') && log.contains('shardplan:help')
assert log.contains('Checks the project\'s plans')
def detail = log.substring(log.lastIndexOf('shardplan:compile'))
for (p in ['importPaths', 'importDependencies', 'ignoreProjectDependencies', 'outputDirectory', 'targets', 'failOnWarning', 'skip']) {
    assert detail.contains(p) : "parameter ${p} not described"
}
assert detail.contains('Expression: ${shardplan.outputDirectory}') || detail.contains('User property: shardplan.outputDirectory')
return true
