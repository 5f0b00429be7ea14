\#\ dnalens\ 0\.1\.0\ variants
\#\ model:\ (?:.*/)?tiny\-model
\#\ weights_sha256:\ fdd0e7dd7fecf8c513a1bc0d30c77167cf7a5a4b9f68737f7dd28f3526c81fc8
\#\ endpoint:\ http://127\.0\.0\.1:[0-9]+\ \(computed\ by\ that\ DNALens\ server\)\n\#\ versions:\ .*
\#\ parameters:\ \{"input":\ "[^"]+",\ "layer":\ "\-1",\ "max_differences":\ 10,\ "pair_by":\ "order",\ "pooling":\ "mean",\ "scores":\ "l2,cosine,llr"\}
\#\ l2/cosine\ method:\ hidden\ states\ of\ layer\(s\)\ \-1,\ mean\-pooled\ over\ sequence\ tokens\ \(attention\ mask\ applied;\ special\ tokens\ and\ padding\ excluded\)
\#\ llr\ method:\ masked:\ SNVs:\ log\ P\(alt\)\ \-\ log\ P\(ref\)\ at\ the\ masked\ site,\ one\ forward\ pass\ per\ site;\ indels\ and\ multi\-base\ changes:\ pseudo\-log\-likelihood\ difference\ over\ aligned\ positions,\ sum\ of\ log\ P\(base\ \|\ rest\ of\ the\ alt\ window\)\ \-\ log\ P\(base\ \|\ rest\ of\ the\ ref\ window\),\ each\ base\ masked\ in\ turn;\ aligned\ =\ every\ position\ for\ same\-length\ changes,\ the\ shared\ flanks\ around\ an\ indel\ \(the\ inserted\ or\ deleted\ bases\ have\ no\ counterpart,\ and\ whole\ windows\ of\ different\ lengths\ would\ differ\ by\ about\ 1\.3\ nats\ per\ base\);\ len\(ref\ window\)\ \+\ len\(alt\ window\)\ forward\ passes\ per\ variant;\ forward\ strand\ only
\#\ status:\ ok\ =\ scored;\ otherwise\ the\ reason\ the\ variant\ was\ skipped\ \(scores\ left\ empty\)
pair\	id\	position\	ref\	alt\	l2\	cosine\	llr\	status
1\	exon_chr20_241633_C_A\	101\	C\	A\	0\.01183488\	2\.251585e\-06\	0\.06364548\	ok
2\	exon_chr20_1293990_G_C\	101\	G\	C\	0\.009617647\	1\.486276e\-06\	\-0\.1822039\	ok
3\	exon_chr20_3129765_G_T\	101\	G\	T\	0\.008554608\	1\.179955e\-06\	\-0\.129456\	ok
4\	exon_chr20_3854514_A_T\	101\	A\	T\	0\.01163685\	2\.185822e\-06\	\-0\.01128435\	ok
5\	exon_chr20_5485024_G_T\	101\	G\	T\	0\.008509064\	1\.165962e\-06\	\-0\.1296036\	ok
6\	exon_chr20_8113392_G_A\	101\	G\	A\	0\.009578848\	1\.465518e\-06\	\-0\.1182427\	ok
7\	exon_chr20_21337274_T_A\	101\	T\	A\	0\.01162721\	2\.171371e\-06\	0\.01128244\	ok
8\	exon_chr20_23356424_C_T\	101\	C\	T\	0\.00907308\	1\.328829e\-06\	0\.05247557\	ok
9\	exon_chr20_25751870_A_T\	101\	A\	T\	0\.01162882\	2\.180238e\-06\	\-0\.0112586\	ok
10\	exon_chr20_30135365_C_T\	101\	C\	T\	0\.009124161\	1\.341493e\-06\	0\.05234814\	ok
11\	exon_chr20_34802287_T_C\	101\	T\	C\	0\.009080809\	1\.33083e\-06\	\-0\.0524658\	ok
12\	exon_chr20_35281278_T_G\	101\	T\	G\	0\.008550358\	1\.181409e\-06\	0\.1294665\	ok
13\	exon_chr20_37555520_C_T\	101\	C\	T\	0\.009062331\	1\.320612e\-06\	0\.05255675\	ok
14\	exon_chr20_39812431_C_T\	101\	C\	T\	0\.009107838\	1\.334545e\-06\	0\.05240965\	ok
15\	exon_chr20_39989048_T_C\	101\	T\	C\	0\.009117242\	1\.339755e\-06\	\-0\.05237699\	ok
16\	exon_chr20_42805976_G_T\	101\	G\	T\	0\.008561071\	1\.181904e\-06\	\-0\.1295109\	ok
17\	exon_chr20_43384627_G_C\	101\	G\	C\	0\.009707968\	1\.51268e\-06\	\-0\.1819915\	ok
18\	exon_chr20_43708275_G_A\	101\	G\	A\	0\.009602502\	1\.483048e\-06\	\-0\.1180754\	ok
19\	exon_chr20_47688873_T_A\	101\	T\	A\	0\.01163463\	2\.177919e\-06\	0\.01130152\	ok
20\	exon_chr20_49552760_T_G\	101\	T\	G\	0\.008546318\	1\.179742e\-06\	0\.12945\	ok
21\	exon_chr20_56099178_C_A\	101\	C\	A\	0\.01176052\	2\.225025e\-06\	0\.06359136\	ok
22\	exon_chr20_58645803_T_A\	101\	T\	A\	0\.01163879\	2\.188528e\-06\	0\.01129627\	ok
23\	exon_chr20_61048486_C_G\	101\	C\	G\	0\.009666206\	1\.501293e\-06\	0\.1820801\	ok
24\	exon_chr20_61990961_G_A\	101\	G\	A\	0\.009576548\	1\.470765e\-06\	\-0\.1182684\	ok
25\	exon_chr20_62076067_T_C\	101\	T\	C\	0\.009078557\	1\.327469e\-06\	\-0\.05249894\	ok
\Z