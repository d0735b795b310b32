import java.util.zip.ZipFile

// service.plan imports "clusters/h200.plan" from the team-plans jar: the jar's plan files are
// unpacked under target/shardplan/imports/ and searched like an import path.
def log = new File(basedir, 'build.log').text
assert !log.contains('error[SP'), 'the import resolved'
assert log.contains('[INFO] shardplan: compiled src/main/plans/service.plan: plan qwen32b_dp4_tp2')
def service = new File(basedir, 'service')
def unpacked = new File(service, 'target/shardplan/imports/dev.shardplan.it/team-plans/clusters/h200.plan')
assert unpacked.isFile() : 'the jar\'s plan file is unpacked'
assert new File(service, 'target/shardplan/compile-cache.json').text.contains('target/shardplan/imports/dev.shardplan.it/team-plans/clusters/h200.plan')
def jar = new ZipFile(new File(service, 'target/service-1.0.jar'))
try {
    assert jar.getEntry('shardplan/qwen32b_dp4_tp2/plan.json') != null
    assert jar.getEntry('clusters/h200.plan') == null : 'the dependency\'s plans are not repackaged'
} finally {
    jar.close()
}
return true
