package interop

// Fixed CURVE key pairs (Z85) for interop tests: libzmq's own test keys and
// libzmq-rs's (zmtp.md §4.7, each public key checked as X25519 of its
// secret). Never use them outside tests.
const (
	ServerSecret = `JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6`
	ServerPublic = `rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7`
	ClientSecret = `D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs`
	ClientPublic = `Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID`
	// OtherSecret/OtherPublic: a third pair, for "key not allowed" tests.
	OtherSecret = `sqe2ZQ%<<?*(MV2Shf%9=CtldI@T^^pgrML1S.F/`
	OtherPublic = `hb=GN9.(K*)]:{q*)XjsMgwfDTPJYh!w*n/xlIl+`
)
