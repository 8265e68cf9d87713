package zmq4

// The ZMTP command names zmq4 exports (RFC 23, 27, 29). The bridge never
// hands commands to the application; the names exist so that code
// mentioning them compiles.
const (
	CmdCancel      = "CANCEL"
	CmdError       = "ERROR"
	CmdHello       = "HELLO"
	CmdInitiate    = "INITIATE"
	CmdPing        = "PING"
	CmdPong        = "PONG"
	CmdReady       = "READY"
	CmdSubscribe   = "SUBSCRIBE"
	CmdUnsubscribe = "UNSUBSCRIBE"
	CmdWelcome     = "WELCOME"
)

// Cmd is a ZMTP command, a name and a body, as zmq4's. The bridge never
// hands one to the application.
type Cmd struct {
	Name string
	Body []byte
}

// Transports returns the sorted names of the transports Listen and Dial
// take. (zmq4's RegisterTransport has no counterpart: zmesh's transports
// are its own.)
func Transports() []string { return []string{"inproc", "ipc", "tcp"} }

// Queue is a FIFO of messages, as zmq4's. It is not safe for concurrent
// use.
type Queue struct {
	msgs []Msg
	head int
}

// NewQueue returns an empty queue.
func NewQueue() *Queue { return &Queue{} }

// Init empties the queue.
func (q *Queue) Init() { *q = Queue{} }

// Len returns the number of messages queued.
func (q *Queue) Len() int { return len(q.msgs) - q.head }

// Push adds val at the back.
func (q *Queue) Push(val Msg) {
	if q.head > 0 && q.head == len(q.msgs) {
		q.msgs, q.head = q.msgs[:0], 0
	}
	q.msgs = append(q.msgs, val)
}

// Peek returns the message at the front, and false if there is none.
func (q *Queue) Peek() (Msg, bool) {
	if q.Len() == 0 {
		return Msg{}, false
	}
	return q.msgs[q.head], true
}

// Pop removes the message at the front, if any.
func (q *Queue) Pop() {
	if q.Len() == 0 {
		return
	}
	q.msgs[q.head] = Msg{} // let its frames go
	q.head++
	if q.head > 64 && q.head*2 > len(q.msgs) {
		q.msgs, q.head = append(q.msgs[:0], q.msgs[q.head:]...), 0
	}
}
