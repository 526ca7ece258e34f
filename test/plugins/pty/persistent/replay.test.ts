import { expect } from 'chai'
import { ReplayBuffer } from '../../../../plugins/pty/persistent/replay.js'

describe('pty: persistent terminal replay buffer', () => {
  it('keeps the last bytes up to its capacity, addressed by offsets from the start', () => {
    const replay = new ReplayBuffer(10)
    expect([replay.head, replay.tail]).to.deep.equal([0, 0])
    replay.append(Buffer.from('abcd'))
    replay.append(Buffer.from(''))
    replay.append(Buffer.from('efgh'))
    expect([replay.head, replay.tail]).to.deep.equal([0, 8])
    expect(replay.since(0).toString()).to.equal('abcdefgh')
    expect(replay.since(5).toString()).to.equal('fgh')
    expect(replay.since(8).toString()).to.equal('')

    // Over capacity: the oldest bytes go, part of a chunk if need be.
    replay.append(Buffer.from('ijklmn'))
    expect([replay.head, replay.tail]).to.deep.equal([4, 14])
    expect(replay.since(0).toString()).to.equal('efghijklmn')
    expect(replay.since(9).toString()).to.equal('jklmn')
    // One chunk larger than the whole capacity keeps its end.
    replay.append(Buffer.from('0123456789ABCDEF'))
    expect([replay.head, replay.tail]).to.deep.equal([20, 30])
    expect(replay.since(0).toString()).to.equal('6789ABCDEF')
    expect(replay.since(25).toString()).to.equal('BCDEF')
  })
})
