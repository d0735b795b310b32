import java.util.zip.ZipFile

// After the second build the removed plan and the dropped target are gone everywhere, without
// `mvn clean`: the output folder, target/classes/shardplan and the jar.
def log = new File(basedir, 'build.log').text
assert log.contains('[INFO] shardplan: compiled 2 files') : 'the first build compiled both plans'
assert log.contains('[INFO] shardplan: removed the output of plan beta, which no plan file declares any more')
assert log =~ /\[INFO\] shardplan: removed \d+ stale files? from target\/classes\/shardplan/

def out = new File(basedir, 'target/generated-resources/shardplan')
assert new File(out, 'alpha/plan.json').isFile()
assert !new File(out, 'beta').exists()
assert !new File(out, 'alpha/kubernetes').exists()

def classes = new File(basedir, 'target/classes/shardplan')
assert new File(classes, 'alpha/vllm/config.yaml').isFile()
assert !new File(classes, 'beta').exists()
assert !new File(classes, 'alpha/kubernetes').exists()

def jar = new ZipFile(new File(basedir, 'target/stale-outputs-1.0.jar'))
try {
    def names = jar.entries().collect { it.name }
    assert names.contains('shardplan/alpha/plan.json') : names
    assert !names.any { it.startsWith('shardplan/beta/') } : "the deleted plan ships: ${names}"
    assert !names.any { it.startsWith('shardplan/alpha/kubernetes/') } : "the dropped target ships: ${names}"
} finally {
    jar.close()
}
return true
