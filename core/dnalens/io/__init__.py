"""Reading and writing files: FASTA, VCF, reference genomes, tables and atomic outputs."""
